"""Adaptive instance normalization (Huang & Belongie 2017; the style input of StyleGAN, Karras et al. 2019, eq. 1).

AdaIN(x_i, y) = y_s,i * (x_i - mu(x_i)) / sigma(x_i) + y_b,i: each feature map is normalized over
space, then scaled and shifted by a style y = (y_s, y_b) computed from w by a learned affine map.
"""

import torch
from torch import nn

from gankit.nn.equalized import EqualizedLinear


def instance_norm(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """[N, C, H, W] -> same, each map shifted to zero mean and scaled to unit variance over H, W."""
    x = x - x.mean(dim=(2, 3), keepdim=True)
    return x * (x.square().mean(dim=(2, 3), keepdim=True) + eps).rsqrt()


class AdaIN(nn.Module):
    """x [N, C, H, W], w [N, w_dim] -> [N, C, H, W]: instance norm, then per-channel scale and bias from w.

    The affine map starts at y_s = 1, y_b = 0 (weights N(0, 1) with equalized learning rate, so the
    styles vary around those values), as StyleGAN parameterizes the scale as 1 + affine(w).
    """

    def __init__(self, num_channels: int, w_dim: int) -> None:
        super().__init__()
        self.affine = EqualizedLinear(w_dim, 2 * num_channels)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        style = self.affine(w).reshape(w.shape[0], 2, -1, 1, 1)  # [N, 2C] -> [N, 2, C, 1, 1]
        return instance_norm(x) * (style[:, 0] + 1) + style[:, 1]
