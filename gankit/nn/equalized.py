"""Equalized learning rate layers (Karras et al. 2018, PGGAN section 4.1).

Weights are stored as N(0, 1) / lr_multiplier and scaled at every call by
lr_multiplier / sqrt(fan_in), so the layer's output starts at unit variance and Adam's step size is
the same relative change for every layer. `lr_multiplier` (0.01 for StyleGAN's mapping network)
slows one layer's learning rate without a separate optimizer group.
"""

import math

import torch
from torch import nn

from gankit.nn.bias_act import activation_gain, bias_act
from gankit.nn.conv2d_resample import conv2d_resample
from gankit.nn.upfirdn2d import setup_filter


class EqualizedLinear(nn.Module):
    """[N, in_features] -> [N, out_features] with runtime weight scaling, bias and activation.

    Args:
        in_features, out_features: sizes.
        bias: learn a bias.
        bias_init: initial bias value (1 for StyleGAN2's style affines, so styles start at 1).
        lr_multiplier: learning-rate multiplier of this layer.
        activation: a key of gankit.nn.bias_act.ACTIVATIONS; applied with its default gain.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        bias_init: float = 0.0,
        lr_multiplier: float = 1.0,
        activation: str = "linear",
    ) -> None:
        super().__init__()
        self.in_features, self.out_features, self.activation = in_features, out_features, activation
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight.to(x.dtype) * self.weight_gain
        b = self.bias.to(x.dtype) * self.bias_gain if self.bias is not None else None
        if self.activation == "linear" and b is not None:
            return torch.addmm(b.unsqueeze(0), x, w.t())
        return bias_act(x.matmul(w.t()), b, act=self.activation)

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, activation={self.activation}"


class EqualizedConv2d(nn.Module):
    """[N, in_channels, H, W] -> [N, out_channels, H * up / down, ...]: same-padded convolution with runtime
    weight scaling, optional filtered resampling, bias, activation (with its gain) and clamp.

    Args:
        in_channels, out_channels, kernel_size: as for nn.Conv2d.
        bias: learn a bias.
        activation: a key of gankit.nn.bias_act.ACTIVATIONS.
        up, down: resampling factor (1 or 2) through the FIR `resample_filter`.
        resample_filter: 1D taps of the separable low-pass filter.
        conv_clamp: bound on |output|, or None.
        lr_multiplier: learning-rate multiplier of this layer.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        bias: bool = True,
        activation: str = "linear",
        up: int = 1,
        down: int = 1,
        resample_filter: tuple[float, ...] = (1, 3, 3, 1),
        conv_clamp: float | None = None,
        lr_multiplier: float = 1.0,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.activation = in_channels, out_channels, activation
        self.up, self.down, self.padding, self.conv_clamp = up, down, kernel_size // 2, conv_clamp
        self.register_buffer("resample_filter", setup_filter(resample_filter), persistent=False)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size) / lr_multiplier)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_channels * kernel_size * kernel_size)
        self.bias_gain = lr_multiplier
        self.act_gain = activation_gain(activation)

    def forward(self, x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        """`gain` scales the output before the clamp (0.5 ** 0.5 in StyleGAN2's residual D blocks)."""
        w = self.weight.to(x.dtype) * self.weight_gain
        b = self.bias.to(x.dtype) * self.bias_gain if self.bias is not None else None
        x = conv2d_resample(x, w, self.resample_filter, up=self.up, down=self.down, padding=self.padding)
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, b, act=self.activation, gain=self.act_gain * gain, clamp=clamp)

    def extra_repr(self) -> str:
        return (
            f"in={self.in_channels}, out={self.out_channels}, k={self.weight.shape[-1]}, "
            f"up={self.up}, down={self.down}, activation={self.activation}"
        )
