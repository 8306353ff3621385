"""Maxout units (Goodfellow et al. 2013, "Maxout networks", eq. 1)."""

import torch
from torch import nn


class MaxoutLinear(nn.Module):
    """h_i(x) = max_j (x W_ij + b_ij): `pieces` affine maps per output unit, and their maximum.

    Args:
        in_features: input width.
        out_features: number of maxout units.
        pieces: affine pieces per unit (k in the paper).
    """

    def __init__(self, in_features: int, out_features: int, pieces: int) -> None:
        super().__init__()
        self.out_features, self.pieces = out_features, pieces
        self.linear = nn.Linear(in_features, out_features * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[N, in_features] -> [N, out_features]."""
        y = self.linear(x).reshape(x.shape[0], self.out_features, self.pieces)  # [N, out * k] -> [N, out, k]
        return y.amax(dim=2)
