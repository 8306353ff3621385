"""Perceptual path length (Karras et al. 2019, "A Style-Based Generator Architecture for Generative Adversarial
Networks", section 4.2, eq. 2 and 3), for any generator split into a mapping and a synthesis callable:

    l_Z = E[ d(G(slerp(z0, z1; t)), G(slerp(z0, z1; t + eps))) / eps^2 ]          (eq. 2, in Z)
    l_W = E[ d(g(lerp(f(z0), f(z1); t)), g(lerp(f(z0), f(z1); t + eps))) / eps^2 ]  (eq. 3, in W)

with d the LPIPS distance, eps = 1e-4 and t ~ U(0, 1) ("full" sampling) or t = 0 ("end" sampling, the path's end
points, as in the published evaluation code). As there, images larger than 256 pixels are box-downsampled to 256
before d, and the values outside the 1st and 99th percentiles are dropped before averaging. Code names: `mapping`
is f (z [N, z_dim] -> w), `synthesis` is g (w -> images), `distance` is d.

All random draws (z0, z1, t) are made up front from one seeded generator, so the result does not depend on
`batch_size`.
"""

from collections.abc import Callable
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between the directions of a and b, [N, D] each, at t [N]; returns unit vectors
    [N, D] (the published code does the same; StyleGAN's mapping normalises z anyway)."""
    a_unit = a / a.norm(dim=-1, keepdim=True)
    b_unit = b / b.norm(dim=-1, keepdim=True)
    cos = (a_unit * b_unit).sum(dim=-1, keepdim=True).clamp(-1, 1)
    theta = torch.acos(cos) * t[:, None]  # angle travelled from a
    ortho = b_unit - cos * a_unit
    ortho = ortho / ortho.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return a_unit * torch.cos(theta) + ortho * torch.sin(theta)


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Linear interpolation a + (b - a) t with t [N] broadcast over the remaining dimensions."""
    return a + (b - a) * t.view(-1, *([1] * (a.ndim - 1)))


def _downsample_to_256(images: torch.Tensor) -> torch.Tensor:
    factor = images.shape[-1] // 256
    return F.avg_pool2d(images, factor) if factor > 1 else images


@torch.no_grad()
def perceptual_path_length(
    mapping: Callable[[torch.Tensor], torch.Tensor],
    synthesis: Callable[[torch.Tensor], torch.Tensor],
    distance: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    z_dim: int,
    num_samples: int = 1000,
    space: Literal["z", "w"] = "w",
    sampling: Literal["end", "full"] = "end",
    epsilon: float = 1e-4,
    batch_size: int = 64,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> float:
    """Perceptual path length of a mapping + synthesis generator.

    Args:
        mapping: z [N, z_dim] -> w [N, w_dim] or [N, num_ws, w_dim].
        synthesis: w -> images float [N, C, H, W] in [-1, 1].
        distance: (images, images) -> float [N] perceptual distance (e.g. `gankit.metrics.lpips.LPIPS`).
        z_dim: latent size.
        num_samples: number of path segments measured (at least 100, so the percentile filter keeps 98%).
        space: interpolate in "z" (slerp) or "w" (lerp).
        sampling: "end" (t = 0) or "full" (t ~ U(0, 1)).
        epsilon: the step along the path.
        batch_size: segments per forward pass; the result does not depend on it beyond float rounding.
        seed: seed of the latents and t.
        device: where latents are put.

    Returns:
        The mean of d / eps^2 between the 1st and 99th percentiles.

    Raises:
        ValueError: for an unknown space or sampling, num_samples < 100, epsilon <= 0 or batch_size < 1.
    """
    # Validate the request.
    if space not in ("z", "w"):
        raise ValueError(f"PPL space={space!r} must be 'z' or 'w'")
    if sampling not in ("end", "full"):
        raise ValueError(f"PPL sampling={sampling!r} must be 'end' or 'full'")
    if num_samples < 100:
        raise ValueError(f"PPL num_samples={num_samples} must be at least 100 for its 1%/99% percentile filter")
    if epsilon <= 0 or batch_size < 1:
        raise ValueError(f"PPL needs epsilon > 0 and batch_size >= 1, got epsilon={epsilon}, batch_size={batch_size}")

    # Draw every latent and t up front, so batching does not change the draws.
    gen = torch.Generator().manual_seed(seed)
    z0 = torch.randn(num_samples, z_dim, generator=gen)
    z1 = torch.randn(num_samples, z_dim, generator=gen)
    t = torch.rand(num_samples, generator=gen) if sampling == "full" else torch.zeros(num_samples)

    # Measure each segment: images at t and t + eps, their distance over eps^2.
    dists = []
    for i in range(0, num_samples, batch_size):
        a, b, tb = (v[i : i + batch_size].to(device) for v in (z0, z1, t))
        if space == "z":
            w_t, w_e = mapping(slerp(a, b, tb)), mapping(slerp(a, b, tb + epsilon))
        else:
            wa, wb = mapping(a), mapping(b)
            w_t, w_e = lerp(wa, wb, tb), lerp(wa, wb, tb + epsilon)
        img = _downsample_to_256(synthesis(torch.cat([w_t, w_e])))  # [2n, C, H, W]
        img_t, img_e = img.chunk(2)
        dists.append((distance(img_t, img_e).double() / epsilon**2).cpu())

    # Drop the outliers beyond the 1st and 99th percentiles, then average.
    values = torch.cat(dists).numpy()
    low, high = np.percentile(values, 1, method="lower"), np.percentile(values, 99, method="higher")
    keep = values[(values >= low) & (values <= high)]
    return float(keep.mean())
