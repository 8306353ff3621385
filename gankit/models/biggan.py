"""BigGAN's generator (Brock et al. 2019, "Large scale GAN training for high fidelity natural image
synthesis", section 3 and appendix B): the ResNet G of SNGAN with

- a shared class embedding: one embedding of the label feeds every block, not one table per layer;
- a hierarchical latent: z is split into one chunk for the 4x4 input and one per block, and each
  block's conditional batch norm is conditioned on [shared embedding, its chunk];
- spectral norm in G as in D, and optional self-attention at one resolution.

Its discriminator is the ResNet D with a projection head (`discriminator.name: resnet` with
`data.conditional`). Truncation samples z from a truncated normal by resampling
(`nn/truncation.py`); the orthogonal regularization of G is `loss.ortho_beta`.
"""

import math
from functools import partial
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from gankit.models.resnet import _check_resolution, _init_xavier, _reset_conditional_norms, _sn_if
from gankit.nn.attention import SelfAttention
from gankit.nn.condition import check_condition
from gankit.nn.conditional_norm import ConditionalBatchNorm2d
from gankit.nn.resblocks import UpBlock
from gankit.nn.shape import check_shape
from gankit.registry import GENERATORS


class BigGANGeneratorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["biggan"] = "biggan"
    z_dim: int = Field(120, ge=2)  # split into (blocks + 1) chunks; BigGAN at 128 px uses 120 for 5 blocks
    width: int = Field(256, ge=8)  # channels of every block (the paper's ch multiplies per resolution)
    embed_dim: int = Field(128, ge=1)  # size of the shared class embedding
    attention_resolution: int = Field(0, ge=0)
    spectral_norm: bool = True


@GENERATORS.register("biggan", options=BigGANGeneratorOptions)
class BigGANGenerator(nn.Module):
    """z [N, z_dim] (and labels c: classes [N] or vectors [N, label_dim] when conditional) -> images [N, C, R, R].

    Outputs lie in [-1, 1]. A label vector is embedded by a linear map instead of a lookup table.
    """

    truncates_by_resampling = True  # `Run.latents` draws a truncated normal for truncation psi < 1

    def __init__(
        self,
        resolution: int,
        channels: int,
        z_dim: int = 120,
        width: int = 256,
        embed_dim: int = 128,
        attention_resolution: int = 0,
        spectral_norm: bool = True,
        num_classes: int = 0,
        label_dim: int = 0,
    ) -> None:
        super().__init__()
        n_up = int(math.log2(resolution)) - 2 if resolution >= 8 else 0
        sizes = [4 * 2 ** (i + 1) for i in range(n_up)]
        _check_resolution(resolution, attention_resolution, sizes, "generator")
        if z_dim < n_up + 1:
            raise ValueError(f"generator.z_dim={z_dim} is too small to give each of the {n_up + 1} chunks a value")
        self.z_dim, self.resolution, self.channels, self.width = z_dim, resolution, channels, width
        if num_classes and label_dim:
            raise ValueError(f"a network takes classes (num_classes={num_classes}) or vectors (label_dim={label_dim})")
        self.num_classes, self.label_dim = num_classes, label_dim
        self.chunk = z_dim // (n_up + 1)  # the first chunk takes the remainder
        self.first = z_dim - self.chunk * n_up
        self.embed = None  # the shared label embedding, read by every block
        if num_classes:
            self.embed = nn.Embedding(num_classes, embed_dim)
        elif label_dim:
            self.embed = nn.Linear(label_dim, embed_dim, bias=False)
        cond_dim = self.chunk + (embed_dim if self.embed is not None else 0)
        sn = _sn_if(spectral_norm)
        self.fc = sn(nn.Linear(self.first, 4 * 4 * width))
        norm = partial(ConditionalBatchNorm2d, cond_dim=cond_dim)
        self.blocks = nn.ModuleList()
        self.attention = nn.ModuleDict()
        for size in sizes:
            self.blocks.append(UpBlock(width, width, norm, conditional=True, use_spectral_norm=spectral_norm))
            if size == attention_resolution:
                self.attention[str(len(self.blocks) - 1)] = SelfAttention(width, use_spectral_norm=spectral_norm)
        self.out_norm = nn.BatchNorm2d(width)
        self.out_conv = sn(nn.Conv2d(width, channels, 3, 1, 1))
        _init_xavier(self)
        _reset_conditional_norms(self)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        check_shape("z", z, [None, self.z_dim])
        chunks = torch.split(z, [self.first] + [self.chunk] * len(self.blocks), dim=1)
        if self.embed is not None:
            shared = self.embed(check_condition(c, self.num_classes, self.label_dim))  # [N, embed_dim]
        h = self.fc(chunks[0]).view(-1, self.width, 4, 4)  # [N, first] -> [N, W, 4, 4]
        for i, block in enumerate(self.blocks):
            cond = chunks[i + 1] if self.embed is None else torch.cat([shared, chunks[i + 1]], dim=1)
            h = block(h, cond)  # [N, W, S, S] -> [N, W, 2S, 2S]
            if str(i) in self.attention:
                h = self.attention[str(i)](h)
        return torch.tanh(self.out_conv(F.relu(self.out_norm(h))))
