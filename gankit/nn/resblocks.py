"""Residual up- and down-sampling blocks of the ResNet GANs (Miyato et al. 2018, appendix B;
Gulrajani et al. 2017): pre-activation 3x3 convolutions with a 1x1 shortcut where shapes change.
"""

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from gankit.nn.spectral_norm import spectral_norm

NormFactory = Callable[[int], nn.Module]


def _maybe_sn(module: nn.Module, use_spectral_norm: bool) -> nn.Module:
    return spectral_norm(module) if use_spectral_norm else module


class UpBlock(nn.Module):
    """Generator block x [N, C_in, H, W] -> [N, C_out, 2H, 2W]:
    norm, ReLU, nearest 2x upsample, conv3x3, norm, ReLU, conv3x3, plus upsample + conv1x1 shortcut.

    Args:
        c_in, c_out: channels.
        norm: builds a norm layer for a channel count; a conditional norm (one taking
            `(x, cond)`) is detected by `conditional=True` and receives `cond` in forward.
        conditional: whether the norm layers take a condition.
        use_spectral_norm: spectral normalization on the convolutions (SAGAN and BigGAN use it in G).
    """

    def __init__(
        self, c_in: int, c_out: int, norm: NormFactory, conditional: bool = False, use_spectral_norm: bool = False
    ) -> None:
        super().__init__()
        self.conditional = conditional
        self.norm1, self.norm2 = norm(c_in), norm(c_out)
        self.conv1 = _maybe_sn(nn.Conv2d(c_in, c_out, 3, 1, 1), use_spectral_norm)
        self.conv2 = _maybe_sn(nn.Conv2d(c_out, c_out, 3, 1, 1), use_spectral_norm)
        self.shortcut = _maybe_sn(nn.Conv2d(c_in, c_out, 1), use_spectral_norm)

    def _norm(self, layer: nn.Module, x: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        return layer(x, cond) if self.conditional else layer(x)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        h = F.relu(self._norm(self.norm1, x, cond))
        h = self.conv1(F.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.conv2(F.relu(self._norm(self.norm2, h, cond)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode="nearest"))


class DownBlock(nn.Module):
    """Discriminator block x [N, C_in, H, W] -> [N, C_out, H/2, W/2] (or same size with `down=False`).

    Pre-activation: ReLU, conv3x3, ReLU, conv3x3, 2x2 average pool; the shortcut is conv1x1 then
    pool. With `first=True` the block takes raw images: no ReLU before the first convolution, and
    the shortcut pools before its 1x1 convolution (the "optimized" first block of SNGAN).

    Args:
        c_in, c_out: channels.
        down: halve the resolution.
        first: the block that sees the input image.
        use_spectral_norm: spectral normalization on every convolution.
    """

    def __init__(
        self, c_in: int, c_out: int, down: bool = True, first: bool = False, use_spectral_norm: bool = True
    ) -> None:
        super().__init__()
        self.down, self.first = down, first
        self.conv1 = _maybe_sn(nn.Conv2d(c_in, c_out, 3, 1, 1), use_spectral_norm)
        self.conv2 = _maybe_sn(nn.Conv2d(c_out, c_out, 3, 1, 1), use_spectral_norm)
        self.learned_shortcut = c_in != c_out or down
        if self.learned_shortcut:
            self.shortcut = _maybe_sn(nn.Conv2d(c_in, c_out, 1), use_spectral_norm)

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 2) if self.down else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else F.relu(x)
        h = self.conv2(F.relu(self.conv1(h)))
        h = self._pool(h)
        if not self.learned_shortcut:
            return h + x
        skip = self.shortcut(self._pool(x)) if self.first else self._pool(self.shortcut(x))
        return h + skip
