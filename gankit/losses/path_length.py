"""Path-length regularization (Karras et al. 2020, StyleGAN2 section 3.2, eq. 4).

Paper symbols: J_w -> the Jacobian of G's image with respect to ws; y -> `pl_noise`, random images
with normally distributed pixels scaled by 1/sqrt(H * W) so the lengths do not depend on resolution;
a -> `pl_mean`, the exponential moving average of the lengths ||J_w^T y||_2.
"""

import math

import torch


def path_length_penalty(
    fake_img: torch.Tensor,
    ws: torch.Tensor,
    pl_mean: torch.Tensor,
    decay: float = 0.01,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """E_w,y (||J_w^T y||_2 - a)^2 with a updated to the running mean (eq. 4).

    Args:
        fake_img: [N, C, H, W], made from `ws` with a graph.
        ws: [N, num_ws, w_dim], the styles `fake_img` was synthesized from (requires grad).
        pl_mean: [] the current running mean a.
        decay: how far a moves towards this batch's mean length (0.01 in the paper).
        generator: the random stream for y.

    Returns:
        (penalty [] with a graph for backward, pl_lengths [N], new pl_mean [] detached).
    """
    H, W = fake_img.shape[2:]
    gen_device = generator.device if generator is not None else fake_img.device
    pl_noise = torch.randn(fake_img.shape, generator=generator, device=gen_device).to(fake_img)
    pl_noise = pl_noise / math.sqrt(H * W)
    (grad,) = torch.autograd.grad((fake_img * pl_noise).sum(), ws, create_graph=True)  # J_w^T y: [N, num_ws, w_dim]
    pl_lengths = grad.square().sum(dim=2).mean(dim=1).sqrt()  # [N]
    new_mean = pl_mean.lerp(pl_lengths.mean().detach(), decay)
    return (pl_lengths - new_mean).square().mean(), pl_lengths, new_mean
