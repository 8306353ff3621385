"""StyleGAN generator (Karras et al. 2019, "A style-based generator architecture for generative
adversarial networks", section 2 and figure 1b).

A mapping network (shared with StyleGAN2, models/mapping.py) turns z into w; the synthesis network
starts from a learned 4x4 constant and, at every layer, adds per-pixel noise scaled by learned
per-channel strengths, a bias and leaky ReLU, then applies AdaIN with a style from w. Each
resolution doubles the map with a filtered upsampling 3x3 convolution ([1, 2, 1] blur, the paper's
bilinear filtering) and a second 3x3 convolution; a 1x1 toRGB gives the image. Style mixing, the
running average of w and truncation in W work as in StyleGAN2 (same `map_styles` interface), so
the stylegan2 game and `gankit sample --truncation` serve both.
"""

import math
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from gankit.models.mapping import MappingNetwork, StyleBasedGenerator
from gankit.models.stylegan2 import NoiseMode, channels_at
from gankit.nn.adain import AdaIN
from gankit.nn.bias_act import bias_act
from gankit.nn.equalized import EqualizedConv2d
from gankit.nn.noise import layer_noise
from gankit.nn.shape import check_shape
from gankit.registry import GENERATORS


class StyleGANGeneratorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["stylegan"] = "stylegan"
    z_dim: int = Field(512, ge=1)
    w_dim: int = Field(512, ge=1)
    mapping_layers: int = Field(8, ge=1)
    mapping_lr_multiplier: float = Field(0.01, gt=0)
    w_avg_beta: float = Field(0.995, ge=0, lt=1)
    width: int = Field(64, ge=1)  # channels at the output resolution; doubles at each lower one
    max_width: int = Field(512, ge=1)
    mixing_prob: float = Field(0.9, ge=0, le=1)


class StyleLayer(nn.Module):
    """x [N, c, r, r], w [N, w_dim] -> same: noise with per-channel strength, bias, leaky ReLU, AdaIN."""

    def __init__(self, channels: int, w_dim: int, resolution: int) -> None:
        super().__init__()
        self.resolution = resolution
        self.noise_strength = nn.Parameter(torch.zeros(channels))  # "B" in figure 1: per-channel scales
        self.register_buffer("noise_const", torch.randn(resolution, resolution))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.adain = AdaIN(channels, w_dim)

    def forward(
        self, x: torch.Tensor, w: torch.Tensor, noise_mode: str, generator: torch.Generator | None
    ) -> torch.Tensor:
        noise = layer_noise(x, noise_mode, self.noise_const, generator)
        if noise is not None:
            x = x + noise * self.noise_strength.reshape(1, -1, 1, 1)
        return self.adain(bias_act(x, self.bias, act="lrelu"), w)


class StyleGANSynthesis(nn.Module):
    """ws [N, num_ws, w_dim] -> images [N, channels, R, R]; layer i reads ws[:, i], num_ws = 2 * log2(R) - 2."""

    def __init__(self, resolution: int, channels: int, w_dim: int, width: int, max_width: int) -> None:
        super().__init__()
        if resolution < 4 or resolution & (resolution - 1):
            raise ValueError(f"StyleGAN needs a power-of-two resolution >= 4, got {resolution}")
        self.resolution, self.channels, self.w_dim = resolution, channels, w_dim
        res_list = [2**i for i in range(2, int(math.log2(resolution)) + 1)]
        ch = {r: channels_at(r, resolution, width, max_width) for r in res_list}
        self.const = nn.Parameter(torch.ones(ch[4], 4, 4))
        self.convs, self.styles = nn.ModuleList(), nn.ModuleList([StyleLayer(ch[4], w_dim, 4)])
        self.convs.append(EqualizedConv2d(ch[4], ch[4], 3, bias=False))
        self.styles.append(StyleLayer(ch[4], w_dim, 4))
        for r in res_list[1:]:
            self.convs.append(EqualizedConv2d(ch[r // 2], ch[r], 3, bias=False, up=2, resample_filter=(1, 2, 1)))
            self.styles.append(StyleLayer(ch[r], w_dim, r))
            self.convs.append(EqualizedConv2d(ch[r], ch[r], 3, bias=False))
            self.styles.append(StyleLayer(ch[r], w_dim, r))
        self.to_rgb = EqualizedConv2d(ch[resolution], channels, 1)
        self.num_ws = len(self.styles)

    def forward(
        self, ws: torch.Tensor, noise_mode: NoiseMode = "auto", generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """`noise_mode` "auto" is "random" in training mode and "const" in eval mode."""
        check_shape("ws", ws, [None, self.num_ws, self.w_dim])
        if noise_mode == "auto":
            noise_mode = "random" if self.training else "const"
        x = self.const.to(ws.dtype).unsqueeze(0).repeat(ws.shape[0], 1, 1, 1)  # [N, C4, 4, 4]
        x = self.styles[0](x, ws[:, 0], noise_mode, generator)
        for i, conv in enumerate(self.convs):
            x = self.styles[i + 1](conv(x), ws[:, i + 1], noise_mode, generator)
        return self.to_rgb(x)


@GENERATORS.register("stylegan", options=StyleGANGeneratorOptions)
class StyleGANGenerator(StyleBasedGenerator):
    """z [N, z_dim] -> images [N, channels, R, R] (unbounded, about [-1, 1]); see the module docstring
    and StyleBasedGenerator for the forward call. `pl_mean` is the running mean path length, used only
    when the game's path-length weight is set.
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
    ) -> None:
        super().__init__()
        self.z_dim, self.w_dim, self.resolution, self.channels = z_dim, w_dim, resolution, channels
        self.mixing_prob = mixing_prob
        self.synthesis = StyleGANSynthesis(resolution, channels, w_dim, width, max_width)
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, w_dim, self.num_ws, mapping_layers, mapping_lr_multiplier, w_avg_beta)
        self.register_buffer("pl_mean", torch.zeros([]))
