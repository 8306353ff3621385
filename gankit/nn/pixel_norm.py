"""Pixelwise feature normalization (Karras et al. 2018, PGGAN section 4.2)."""

import torch
from torch import nn


def normalize_2nd_moment(x: torch.Tensor, dim: int = 1, eps: float = 1e-8) -> torch.Tensor:
    """x / sqrt(mean(x^2) + eps) along `dim`: every feature vector gets unit mean square; shape kept."""
    return x * (x.square().mean(dim=dim, keepdim=True) + eps).rsqrt()


class PixelNorm(nn.Module):
    """[N, C, ...] -> same, each position's C-vector scaled to unit mean square (PGGAN eq. in 4.2)."""

    def __init__(self, eps: float = 1e-8) -> None:
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return normalize_2nd_moment(x, 1, self.eps)
