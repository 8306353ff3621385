"""Gradient penalties on D: pure functions of images, logits and the network.

Every norm is taken per logit: with PacGAN packing D scores groups of m consecutive samples, and the
gradient of one logit with respect to its m inputs is one vector (the input reshaped [len(logits), -1]).
A D with several heads (a multi-scale D returns logits [M, S], one column per scale) is several
discriminators: each head gets its own penalty, averaged over its logits, and the heads' penalties are
summed, as their losses are (`gankit.losses.heads`).

Papers:
- R1 and R2 (Mescheder et al. 2018, "Which training methods for GANs do actually converge?", eq. 9
  and 10): zero-centred squared gradient norm at reals (R1) or at fakes (R2), weighted gamma/2.
- One-centred gradient penalty (Gulrajani et al. 2017, "Improved training of Wasserstein GANs",
  Algorithm 1): (||grad D(x_hat)|| - 1)^2 at x_hat = eps x + (1 - eps) G(z), one eps ~ U[0, 1] per sample.
- DRAGAN (Kodali et al. 2017, "On convergence and stability of GANs"): the same one-centred penalty
  at reals perturbed by noise, x_hat = x + alpha * delta with delta = scale * std(x) * U[0, 1) per
  element and one alpha ~ U[0, 1) per sample, as the authors' reference code does.
"""

from collections.abc import Callable

import torch


def grad_norms(inputs: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """||d logit_i / d inputs|| for each logit, with a graph for backward.

    Args:
        inputs: [N, ...] with requires_grad, the tensor that produced `logits`.
        logits: [M] with N divisible by M (M < N when D packs N / M samples per logit), or [M, S]
            for S heads, each differentiated on its own.

    Returns:
        [M] gradient norms, or [M, S]: one column per head.
    """
    if logits.ndim == 2:  # one backward pass per head: each head is its own discriminator
        return torch.stack([grad_norms(inputs, logits[:, s]) for s in range(logits.shape[1])], dim=1)
    (grad,) = torch.autograd.grad(logits.sum(), inputs, create_graph=True)
    return grad.reshape(logits.shape[0], -1).norm(dim=1)  # [N, ...] -> [M, N / M * features]


def head_mean(values: torch.Tensor) -> torch.Tensor:
    """Mean over the logits of per-logit values [M] -> [], or for S heads [M, S] -> the sum of the heads' means."""
    return values.mean(dim=0).sum() if values.ndim == 2 else values.mean()


def squared_grad_norm(inputs: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """E ||d logit / d inputs||^2 over the logits [M] -> [], the zero-centred penalty of R1 and R2 (heads summed)."""
    if logits.ndim == 2:
        return sum(squared_grad_norm(inputs, logits[:, s]) for s in range(logits.shape[1]))
    (grad,) = torch.autograd.grad(logits.sum(), inputs, create_graph=True)
    return grad.reshape(logits.shape[0], -1).square().sum(dim=1).mean()  # [N, ...] -> [M, ...] -> [M] -> []


def r1_penalty(real_img: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
    """Zero-centred R1 without its weight gamma/2: E ||grad_x D(x)||^2 on reals.

    Args:
        real_img: [N, ...] with requires_grad, the input that produced `real_logits`.
        real_logits: [M], M dividing N.

    Returns:
        The mean over the logits of the squared gradient norm, a scalar with a graph for backward.
    """
    return squared_grad_norm(real_img, real_logits)


def r2_penalty(fake_img: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Zero-centred R2 without its weight gamma/2: E ||grad_x D(x)||^2 on fakes [N, ...], [M] -> []."""
    return squared_grad_norm(fake_img, fake_logits)


def gradient_penalty(
    D: Callable[[torch.Tensor], torch.Tensor],
    real_img: torch.Tensor,
    fake_img: torch.Tensor,
    generator: torch.Generator | None = None,
    center: float = 1.0,
) -> torch.Tensor:
    """WGAN-GP's penalty without its weight: E (||grad D(x_hat)|| - center)^2.

    Args:
        D: the critic, [N, ...] -> logits [M] (any input transform already folded in).
        real_img, fake_img: [N, ...] each; fakes detached from G.
        generator: the stream of the interpolation factors (one per sample).
        center: the target norm; 1 as in the paper, 0 for a zero-centred penalty at interpolates.

    Returns:
        A scalar with a graph for backward.
    """
    shape = (real_img.shape[0],) + (1,) * (real_img.ndim - 1)  # one eps per sample, broadcast over its features
    eps = torch.rand(shape, generator=generator, device=real_img.device, dtype=real_img.dtype)
    x_hat = torch.lerp(fake_img.detach(), real_img.detach(), eps).requires_grad_(True)  # eps x + (1 - eps) G(z)
    return head_mean((grad_norms(x_hat, D(x_hat)) - center).square())


def dragan_penalty(
    D: Callable[[torch.Tensor], torch.Tensor],
    real_img: torch.Tensor,
    generator: torch.Generator | None = None,
    scale: float = 0.5,
    center: float = 1.0,
) -> torch.Tensor:
    """DRAGAN's penalty without its weight: E (||grad D(x_hat)|| - center)^2 at perturbed reals.

    Args:
        D: the discriminator, [N, ...] -> logits [M].
        real_img: [N, ...].
        generator: the stream of the perturbations and their per-sample factors.
        scale: the perturbation size relative to the batch's standard deviation (0.5 in the reference code).
        center: the target norm.

    Returns:
        A scalar with a graph for backward.
    """
    real_img = real_img.detach()
    kw = {"generator": generator, "device": real_img.device, "dtype": real_img.dtype}
    delta = scale * real_img.std() * torch.rand(real_img.shape, **kw)
    alpha = torch.rand((real_img.shape[0],) + (1,) * (real_img.ndim - 1), **kw)  # one factor per sample
    x_hat = (real_img + alpha * delta).requires_grad_(True)
    return head_mean((grad_norms(x_hat, D(x_hat)) - center).square())
