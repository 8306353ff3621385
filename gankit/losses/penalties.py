"""Gradient penalties on D."""

import torch


def r1_penalty(real_img: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
    """Zero-centred R1 (Mescheder et al. 2018, eq. 9 without gamma/2): E ||grad_x D(x)||^2 on reals.

    Args:
        real_img: [N, C, H, W] with requires_grad, the input that produced `real_logits`.
        real_logits: [N].

    Returns:
        The mean over the batch of the squared gradient norm, a scalar with a graph for backward.
    """
    (grad,) = torch.autograd.grad(real_logits.sum(), real_img, create_graph=True)
    return grad.square().sum(dim=(1, 2, 3)).mean()
