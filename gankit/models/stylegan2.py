"""StyleGAN2 generator (skip architecture) and residual discriminator (Karras et al. 2020, "Analyzing
and improving the image quality of StyleGAN", section 2 and figure 7; the config-F layout).

G: mapping network (models/mapping.py) -> learned 4x4 constant -> per resolution two modulated 3x3
convolutions (the first upsamples), each followed by scaled noise, bias and leaky ReLU -> a 1x1
toRGB per resolution whose outputs are summed with the upsampled running image. D: fromRGB at full
resolution, residual blocks halving the resolution with 1/sqrt(2) merging, minibatch std, a 3x3
convolution and two dense layers. All layers use equalized learning rate; resampling uses the
[1, 3, 3, 1] low-pass filter. Channels per resolution r are min(width * R / r, max_width).
"""

import math
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from gankit.models.mapping import MappingNetwork, StyleBasedGenerator
from gankit.nn.bias_act import bias_act
from gankit.nn.equalized import EqualizedConv2d, EqualizedLinear
from gankit.nn.minibatch_std import MinibatchStd
from gankit.nn.modulated_conv import modulated_conv2d
from gankit.nn.noise import layer_noise
from gankit.nn.shape import check_shape
from gankit.nn.upfirdn2d import setup_filter, upsample2d
from gankit.registry import DISCRIMINATORS, GENERATORS

NoiseMode = Literal["auto", "random", "const", "none"]
ModconvImpl = Literal["grouped", "scaled"]


class StyleGAN2GeneratorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["stylegan2"] = "stylegan2"
    z_dim: int = Field(512, ge=1)
    w_dim: int = Field(512, ge=1)
    mapping_layers: int = Field(8, ge=1)
    mapping_lr_multiplier: float = Field(0.01, gt=0)
    w_avg_beta: float = Field(0.995, ge=0, lt=1)  # decay of the running average of w
    width: int = Field(64, ge=1)  # channels at the output resolution; doubles at each lower one
    max_width: int = Field(512, ge=1)
    mixing_prob: float = Field(0.9, ge=0, le=1)  # style mixing regularization, per sample, training only
    conv_clamp: float | None = Field(None, gt=0)  # clamp activations (256 in the paper's mixed-precision layers)
    # Both are exact. "scaled" (the reference implementation's training path) measured 2x faster than
    # "grouped" on CPU for stylegan2-digits (10.9 vs 21.5 sec/kimg, 1 thread); "grouped" is one grouped conv.
    modconv_impl: ModconvImpl = "scaled"


class StyleGAN2DiscriminatorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["stylegan2"] = "stylegan2"
    width: int = Field(64, ge=1)  # channels at the input resolution; doubles at each lower one
    max_width: int = Field(512, ge=1)
    mbstd_group_size: int = Field(4, ge=1)
    mbstd_channels: int = Field(1, ge=1)
    conv_clamp: float | None = Field(None, gt=0)
    # "resnet": StyleGAN2's residual blocks; "orig": plain conv pairs (the PGGAN/StyleGAN D layout).
    architecture: Literal["resnet", "orig"] = "resnet"


def channels_at(res: int, resolution: int, width: int, max_width: int) -> int:
    """Channels of the feature maps at `res` for a network working at `resolution`."""
    return min(width * resolution // res, max_width)


def _check_resolution(resolution: int) -> int:
    if resolution < 4 or resolution & (resolution - 1):
        raise ValueError(f"StyleGAN2 needs a power-of-two resolution >= 4, got {resolution}")
    return int(math.log2(resolution))


class SynthesisLayer(nn.Module):
    """x [N, c_in, r, r], w [N, w_dim] -> [N, c_out, r_out, r_out]: modulated conv, noise, bias, leaky ReLU."""

    def __init__(
        self,
        c_in: int,
        c_out: int,
        w_dim: int,
        resolution: int,
        up: int = 1,
        conv_clamp: float | None = None,
        impl: ModconvImpl = "scaled",
    ) -> None:
        super().__init__()
        self.resolution, self.up, self.conv_clamp, self.impl = resolution, up, conv_clamp, impl
        self.affine = EqualizedLinear(w_dim, c_in, bias_init=1.0)  # styles start at 1
        self.weight = nn.Parameter(torch.randn(c_out, c_in, 3, 3))
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.register_buffer("noise_const", torch.randn(resolution, resolution))
        self.register_buffer("resample_filter", setup_filter([1, 3, 3, 1]), persistent=False)

    def forward(
        self, x: torch.Tensor, w: torch.Tensor, noise_mode: str, generator: torch.Generator | None
    ) -> torch.Tensor:
        styles = self.affine(w)  # [N, c_in]
        x = modulated_conv2d(
            x, self.weight, styles, True, up=self.up, padding=1, resample_filter=self.resample_filter, impl=self.impl
        )

        # Add per-pixel noise with a learned per-layer strength (StyleGAN section 2, "B" in figure 1).
        noise = layer_noise(x, noise_mode, self.noise_const, generator)
        if noise is not None:
            x = x + noise * self.noise_strength
        return bias_act(x, self.bias.to(x.dtype), act="lrelu", clamp=self.conv_clamp)


class ToRGB(nn.Module):
    """x [N, c_in, r, r], w [N, w_dim] -> [N, channels, r, r]: modulated 1x1 convolution without demodulation."""

    def __init__(self, c_in: int, channels: int, w_dim: int, conv_clamp: float | None, impl: ModconvImpl) -> None:
        super().__init__()
        self.conv_clamp, self.impl = conv_clamp, impl
        self.affine = EqualizedLinear(w_dim, c_in, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(channels, c_in, 1, 1))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.weight_gain = 1 / math.sqrt(c_in)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d(x, self.weight, styles, demodulate=False, impl=self.impl)
        return bias_act(x, self.bias.to(x.dtype), clamp=self.conv_clamp)


class SynthesisNetwork(nn.Module):
    """ws [N, num_ws, w_dim] -> images [N, channels, R, R] (skip architecture: summed, upsampled toRGB outputs).

    Layer i reads ws[:, i]; each resolution's toRGB reads the w of the next resolution's first layer,
    so num_ws = 2 * log2(R) - 2.
    """

    def __init__(
        self,
        resolution: int,
        channels: int,
        w_dim: int,
        width: int,
        max_width: int,
        conv_clamp: float | None = None,
        impl: ModconvImpl = "scaled",
    ) -> None:
        super().__init__()
        log2 = _check_resolution(resolution)
        self.resolution, self.channels, self.w_dim = resolution, channels, w_dim
        res_list = [2**i for i in range(2, log2 + 1)]
        ch = {r: channels_at(r, resolution, width, max_width) for r in res_list}
        self.const = nn.Parameter(torch.randn(ch[4], 4, 4))
        self.layers, self.torgbs = nn.ModuleList(), nn.ModuleList()
        for r in res_list:
            if r > 4:
                self.layers.append(SynthesisLayer(ch[r // 2], ch[r], w_dim, r, 2, conv_clamp, impl))
            self.layers.append(SynthesisLayer(ch[r], ch[r], w_dim, r, 1, conv_clamp, impl))
            self.torgbs.append(ToRGB(ch[r], channels, w_dim, conv_clamp, impl))
        self.num_ws = len(self.layers) + 1
        self.register_buffer("resample_filter", setup_filter([1, 3, 3, 1]), persistent=False)

    def forward(
        self, ws: torch.Tensor, noise_mode: NoiseMode = "auto", generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """`noise_mode` "auto" is "random" in training mode and "const" in eval mode (repeatable samples)."""
        check_shape("ws", ws, [None, self.num_ws, self.w_dim])
        if noise_mode == "auto":
            noise_mode = "random" if self.training else "const"
        x = self.const.to(ws.dtype).unsqueeze(0).repeat(ws.shape[0], 1, 1, 1)  # [N, C4, 4, 4]
        x = self.layers[0](x, ws[:, 0], noise_mode, generator)
        img = self.torgbs[0](x, ws[:, 1])

        # Each higher resolution: two layers, then add its toRGB to the upsampled image.
        for i, torgb in enumerate(self.torgbs[1:]):
            w_idx = 1 + 2 * i
            x = self.layers[w_idx](x, ws[:, w_idx], noise_mode, generator)
            x = self.layers[w_idx + 1](x, ws[:, w_idx + 1], noise_mode, generator)
            img = upsample2d(img, self.resample_filter) + torgb(x, ws[:, w_idx + 2])
        return img


@GENERATORS.register("stylegan2", options=StyleGAN2GeneratorOptions)
class StyleGAN2Generator(StyleBasedGenerator):
    """z [N, z_dim] -> images [N, channels, R, R] (unbounded, about [-1, 1]); see the module docstring
    and StyleBasedGenerator for the forward call.

    Buffers: `mapping.w_avg` (the truncation centre) and `pl_mean`, the running mean path length
    of the path-length regularizer, kept here so that it travels in G's checkpoint.
    """

    def __init__(
        self,
        resolution: int,
        channels: int,
        z_dim: int = 512,
        w_dim: int = 512,
        mapping_layers: int = 8,
        mapping_lr_multiplier: float = 0.01,
        w_avg_beta: float = 0.995,
        width: int = 64,
        max_width: int = 512,
        mixing_prob: float = 0.9,
        conv_clamp: float | None = None,
        modconv_impl: ModconvImpl = "scaled",
    ) -> None:
        super().__init__()
        self.z_dim, self.w_dim, self.resolution, self.channels = z_dim, w_dim, resolution, channels
        self.mixing_prob = mixing_prob
        self.synthesis = SynthesisNetwork(resolution, channels, w_dim, width, max_width, conv_clamp, modconv_impl)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, w_dim, self.num_ws, mapping_layers, mapping_lr_multiplier, w_avg_beta)
        self.register_buffer("pl_mean", torch.zeros([]))


class DiscriminatorBlock(nn.Module):
    """[N, c_in, r, r] -> [N, c_out, r/2, r/2]: two 3x3 convs (the second downsamples), with `residual`
    plus a 1x1 downsampling skip, the sum scaled by 1/sqrt(2)."""

    def __init__(self, c_in: int, c_out: int, conv_clamp: float | None, residual: bool = True) -> None:
        super().__init__()
        self.conv0 = EqualizedConv2d(c_in, c_in, 3, activation="lrelu", conv_clamp=conv_clamp)
        self.conv1 = EqualizedConv2d(c_in, c_out, 3, activation="lrelu", down=2, conv_clamp=conv_clamp)
        self.skip = EqualizedConv2d(c_in, c_out, 1, bias=False, down=2) if residual else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.skip is None:
            return self.conv1(self.conv0(x))
        gain = math.sqrt(0.5)  # keeps the variance of the sum of two unit-variance branches at 1
        return self.skip(x, gain=gain) + self.conv1(self.conv0(x), gain=gain)


@DISCRIMINATORS.register("stylegan2", options=StyleGAN2DiscriminatorOptions)
class StyleGAN2Discriminator(nn.Module):
    """images [N, channels, R, R] -> logits [N]: residual (or plain) D with minibatch std (StyleGAN2 figure 7b)."""

    def __init__(
        self,
        resolution: int,
        channels: int,
        width: int = 64,
        max_width: int = 512,
        mbstd_group_size: int = 4,
        mbstd_channels: int = 1,
        conv_clamp: float | None = None,
        architecture: Literal["resnet", "orig"] = "resnet",
    ) -> None:
        super().__init__()
        log2 = _check_resolution(resolution)
        self.resolution, self.channels = resolution, channels
        ch = {2**i: channels_at(2**i, resolution, width, max_width) for i in range(2, log2 + 1)}
        self.from_rgb = EqualizedConv2d(channels, ch[resolution], 1, activation="lrelu", conv_clamp=conv_clamp)
        self.blocks = nn.Sequential(
            *[
                DiscriminatorBlock(ch[2**i], ch[2 ** (i - 1)], conv_clamp, architecture == "resnet")
                for i in range(log2, 2, -1)
            ]
        )
        self.mbstd = MinibatchStd(mbstd_group_size, mbstd_channels)
        self.conv = EqualizedConv2d(ch[4] + mbstd_channels, ch[4], 3, activation="lrelu", conv_clamp=conv_clamp)
        self.fc = EqualizedLinear(ch[4] * 16, ch[4], activation="lrelu")
        self.out = EqualizedLinear(ch[4], 1)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        check_shape("img", img, [None, self.channels, self.resolution, self.resolution])
        x = self.blocks(self.from_rgb(img))  # [N, C4, 4, 4]
        x = self.conv(self.mbstd(x))
        return self.out(self.fc(x.flatten(1))).flatten()  # [N, C4*16] -> [N, 1] -> [N]
