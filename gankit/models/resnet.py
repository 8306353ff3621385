"""ResNet generator and discriminator of SNGAN (Miyato et al. 2018, appendix B.4, the CIFAR-10
networks) and SAGAN (Zhang et al. 2019): the same families with an optional self-attention block.

G: a linear map of z to a 4x4 map, residual up-blocks to the resolution, BN, ReLU, 3x3 conv, tanh.
D: residual down-blocks to 8x8 (the first one "optimized" for raw images), two more blocks at
8x8, ReLU, global sum pooling, a linear layer to one logit; spectral norm on every layer.
Every shape derives from the resolution (a power of two >= 8).

Conditional (SNGAN-projection, Miyato & Koyama 2018): G's batch norms become conditional batch
norms (a gain and bias per class, or linear in a float label vector) and D adds the projection
<embed(c), h> to its logit. Both take `num_classes` (integer labels) or `label_dim` (vectors).
"""

import math
from functools import partial
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from gankit.nn.attention import SelfAttention
from gankit.nn.condition import check_condition, condition_dim
from gankit.nn.conditional_norm import ConditionalBatchNorm2d
from gankit.nn.resblocks import DownBlock, UpBlock
from gankit.nn.shape import check_shape
from gankit.nn.spectral_norm import spectral_norm
from gankit.registry import DISCRIMINATORS, GENERATORS


class ResNetGeneratorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["resnet"] = "resnet"
    z_dim: int = Field(128, ge=1)
    width: int = Field(256, ge=8)  # channels of every block (SNGAN's CIFAR G uses 256)
    attention_resolution: int = Field(0, ge=0)  # add SAGAN self-attention after the block at this size; 0: none
    spectral_norm: bool = False  # SAGAN and BigGAN also normalise G


class ResNetDiscriminatorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["resnet"] = "resnet"
    width: int = Field(128, ge=8)  # channels of every block (SNGAN's CIFAR D uses 128)
    attention_resolution: int = Field(0, ge=0)
    spectral_norm: bool = True


def _check_resolution(resolution: int, attention_resolution: int, sizes: list[int], who: str) -> None:
    if resolution < 8 or resolution & (resolution - 1):
        raise ValueError(f"the ResNet {who} needs a power-of-two resolution >= 8, got {resolution}")
    if attention_resolution and attention_resolution not in sizes:
        raise ValueError(
            f"{who}.attention_resolution={attention_resolution} is not a feature-map size of this network; "
            f"choose one of {sizes} or 0"
        )


@GENERATORS.register("resnet", options=ResNetGeneratorOptions)
class ResNetGenerator(nn.Module):
    """z [N, z_dim] (and labels c: classes [N] or vectors [N, label_dim] when conditional) -> images [N, C, R, R].

    Outputs lie in [-1, 1]. With `num_classes` or `label_dim` every block's batch norm is conditional.
    """

    def __init__(
        self,
        resolution: int,
        channels: int,
        z_dim: int = 128,
        width: int = 256,
        attention_resolution: int = 0,
        spectral_norm: bool = False,
        num_classes: int = 0,
        label_dim: int = 0,
    ) -> None:
        super().__init__()
        n_up = int(math.log2(resolution)) - 2 if resolution >= 8 else 0
        sizes = [4 * 2 ** (i + 1) for i in range(n_up)]  # map sizes after each up-block
        _check_resolution(resolution, attention_resolution, sizes, "generator")
        self.z_dim, self.resolution, self.channels, self.width = z_dim, resolution, channels, width
        self.num_classes, self.label_dim = num_classes, label_dim
        self.conditional = condition_dim(num_classes, label_dim) > 0
        norm = partial(ConditionalBatchNorm2d, cond_dim=label_dim, num_classes=num_classes)
        sn = _sn_if(spectral_norm)
        self.fc = sn(nn.Linear(z_dim, 4 * 4 * width))
        self.blocks = nn.ModuleList()
        for size in sizes:
            block_norm = norm if self.conditional else nn.BatchNorm2d
            up = UpBlock(width, width, block_norm, conditional=self.conditional, use_spectral_norm=spectral_norm)
            self.blocks.append(up)
            if size == attention_resolution:
                self.blocks.append(SelfAttention(width, use_spectral_norm=spectral_norm))
        self.out_norm = nn.BatchNorm2d(width)
        self.out_conv = sn(nn.Conv2d(width, channels, 3, 1, 1))
        _init_xavier(self)
        _reset_conditional_norms(self)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        check_shape("z", z, [None, self.z_dim])
        if self.conditional:
            c = check_condition(c, self.num_classes, self.label_dim)
        h = self.fc(z).view(-1, self.width, 4, 4)  # [N, z] -> [N, W, 4, 4]
        for block in self.blocks:
            h = block(h, c) if isinstance(block, UpBlock) else block(h)  # each up-block doubles the side
        return torch.tanh(self.out_conv(F.relu(self.out_norm(h))))  # [N, W, R, R] -> [N, C, R, R]


@DISCRIMINATORS.register("resnet", options=ResNetDiscriminatorOptions)
class ResNetDiscriminator(nn.Module):
    """images [N, C, R, R] (and labels c: classes [N] or vectors [N, label_dim] when conditional) -> logits [N]."""

    def __init__(
        self,
        resolution: int,
        channels: int,
        width: int = 128,
        attention_resolution: int = 0,
        spectral_norm: bool = True,
        num_classes: int = 0,
        label_dim: int = 0,
    ) -> None:
        super().__init__()
        n_down = int(math.log2(resolution)) - 3 if resolution >= 8 else 0  # down to 8x8
        sizes = [resolution // 2 ** (i + 1) for i in range(n_down)] or [resolution]
        _check_resolution(resolution, attention_resolution, sizes, "discriminator")
        self.resolution, self.channels = resolution, channels
        blocks: list[nn.Module] = []
        c_in = channels
        for i, size in enumerate(sizes):
            blocks.append(DownBlock(c_in, width, down=n_down > 0, first=i == 0, use_spectral_norm=spectral_norm))
            if size == attention_resolution:
                blocks.append(SelfAttention(width, use_spectral_norm=spectral_norm))
            c_in = width
        blocks += [DownBlock(width, width, down=False, use_spectral_norm=spectral_norm) for _ in range(2)]
        self.blocks = nn.Sequential(*blocks)
        self.fc = _sn_if(spectral_norm)(nn.Linear(width, 1))
        # A conditional D adds a projection of the label onto the pooled features (SNGAN-projection).
        self.num_classes, self.label_dim = num_classes, label_dim
        self.embed = None
        if condition_dim(num_classes, label_dim):
            embed = nn.Embedding(num_classes, width) if num_classes else nn.Linear(label_dim, width, bias=False)
            self.embed = _sn_if(spectral_norm)(embed)
        _init_xavier(self)

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        check_shape("img", img, [None, self.channels, self.resolution, self.resolution])
        h = F.relu(self.blocks(img)).sum(dim=(2, 3))  # [N, W, 8, 8] -> [N, W], global sum pooling
        logits = self.fc(h).flatten()  # [N, 1] -> [N]
        if self.embed is None:
            return logits
        c = check_condition(c, self.num_classes, self.label_dim)
        return logits + (self.embed(c) * h).sum(dim=1)  # projection (Miyato & Koyama 2018, eq. 3)


def _sn_if(enabled: bool):
    return spectral_norm if enabled else (lambda module: module)


def _reset_conditional_norms(module: nn.Module) -> None:
    """Start every conditional norm as plain batch norm (gain 1, bias 0), after the Xavier init."""
    for m in module.modules():
        if isinstance(m, ConditionalBatchNorm2d):
            nn.init.zeros_(m.gain.weight)
            nn.init.zeros_(m.bias.weight)


def _init_xavier(module: nn.Module) -> None:
    """SNGAN's init: Xavier-uniform weights (gain 1), zero biases; SN then rescales them."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.Linear | nn.Embedding):
            w = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
            nn.init.xavier_uniform_(w)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
