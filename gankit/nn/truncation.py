"""The truncation trick by resampling (Brock et al. 2019, BigGAN section 3.1).

Latent values whose magnitude exceeds a threshold are redrawn until they fall inside it, which
samples a truncated normal: a smaller threshold trades variety for fidelity.
"""

import torch


def truncated_normal(
    shape: tuple[int, ...], threshold: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """N(0, 1) samples of `shape` with every value in [-threshold, threshold], by resampling the others.

    Raises:
        ValueError: when threshold is not positive (nothing could be kept).
    """
    if not threshold > 0:
        raise ValueError(f"truncation threshold {threshold} must be positive")
    z = torch.randn(shape, generator=generator)
    outside = z.abs() > threshold
    while outside.any():
        z[outside] = torch.randn(int(outside.sum()), generator=generator)
        outside = z.abs() > threshold
    return z
