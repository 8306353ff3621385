"""PacGAN packing (Lin et al. 2018, "PacGAN: the power of two samples in generative adversarial networks")."""

import torch


def pack(x: torch.Tensor, m: int) -> torch.Tensor:
    """Concatenate each run of m consecutive samples along the feature (channel) axis.

    Args:
        x: [N, F] or [N, C, H, W], N a multiple of m.
        m: the packing degree (samples per packed input).

    Returns:
        [N / m, m * F] or [N / m, m * C, H, W]; packed input i holds samples i*m .. i*m + m - 1.

    Raises:
        ValueError: when N is not a multiple of m.
    """
    n = x.shape[0]
    if n % m:
        raise ValueError(f"PacGAN packing: batch of {n} samples is not a multiple of the packing degree {m}")
    return x.reshape(n // m, m * x.shape[1], *x.shape[2:])  # [N, F, ...] -> [N/m, m*F, ...]
