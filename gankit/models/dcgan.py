"""DCGAN generator and discriminator (Radford et al. 2016, "Unsupervised representation learning
with deep convolutional generative adversarial networks", section 3 and figure 1).

Every shape derives from the resolution: G grows a 4x4 map by stride-2 transposed convolutions up
to the resolution, D mirrors it with stride-2 convolutions down to 4x4, so the pair agrees at every
power-of-two resolution (the paper's 64x64 G with a D whose last layer fits 32x32 cannot happen).
"""

import math
from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from gankit.errors import ConfigError
from gankit.nn.condition import check_condition, condition_dim, dense_condition
from gankit.nn.minibatch_std import MinibatchStd
from gankit.nn.pack import pack as pack_samples
from gankit.nn.shape import check_shape
from gankit.nn.spectral_norm import spectral_norm
from gankit.registry import DISCRIMINATORS, GENERATORS


class DCGANGeneratorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["dcgan"] = "dcgan"
    z_dim: int = Field(100, ge=1)
    width: int = Field(64, ge=1)  # channels at the last hidden layer; doubles at each lower resolution
    max_width: int = Field(512, ge=1)
    discrete_code: int = Field(0, ge=0)  # categories of a discrete latent code read from z; 0 turns it off
    # "resize": nearest 2x upsampling then a 3x3 convolution instead of each stride-2 transposed
    # convolution, the remedy for checkerboard artifacts of Odena et al. 2016 ("Deconvolution and
    # checkerboard artifacts", Distill).
    upsample: Literal["transposed", "resize"] = "transposed"
    extra_convs: int = Field(0, ge=0)  # 3x3 stride-1 conv+BN+ReLU layers after each upsampling (SNGAN's "standard CNN")


class DCGANDiscriminatorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["dcgan"] = "dcgan"
    width: int = Field(64, ge=1)  # channels after the first convolution; doubles at each lower resolution
    max_width: int = Field(512, ge=1)
    norm: Literal["batch", "spectral", "none"] = "batch"  # "spectral": SNGAN's D normalization instead of BN
    minibatch_std_group: int = Field(0, ge=0)  # append a minibatch-std channel at 4x4 (PGGAN); 0 turns it off
    extra_convs: int = Field(0, ge=0)  # 3x3 stride-1 conv layers after each downsampling (SNGAN's "standard CNN")
    # How a class-conditional D (data.conditional) sees the label: "projection" (Miyato & Koyama 2018)
    # adds <embed(y), h> to the logit; "concat" appends one-hot label maps to the input image (cGAN);
    # "acgan" (Odena et al. 2017) ignores it and predicts the class with a second head instead.
    conditioning: Literal["projection", "concat", "acgan"] = "projection"
    # PacGAN (Lin et al. 2018): D judges this many samples at once, stacked along the channels; the batch
    # must be a multiple of it, and D returns one logit per pack.
    pack: int = Field(1, ge=1)


def _widths(resolution: int, width: int, max_width: int) -> list[int]:
    """Channels per resolution from 4x4 up to resolution/2 (the last hidden map before the output)."""
    if resolution < 8 or resolution & (resolution - 1):
        raise ValueError(f"DCGAN needs a power-of-two resolution >= 8, got {resolution}")
    n = int(math.log2(resolution)) - 2  # maps at 4, 8, ..., resolution/2
    return [min(width * 2 ** (n - 1 - i), max_width) for i in range(n)]


def _up(c_in: int, c_out: int, upsample: str, bias: bool) -> list[nn.Module]:
    """Layers doubling the side of a [N, c_in, H, W] map to [N, c_out, 2H, 2W]."""
    if upsample == "resize":
        return [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, 1, 1, bias=bias)]
    return [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=bias)]


def init_dcgan_weights(module: nn.Module) -> None:
    """Paper's init: conv (and label-embedding) weights N(0, 0.02), batch-norm gains N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear | nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


@GENERATORS.register("dcgan", options=DCGANGeneratorOptions)
class DCGANGenerator(nn.Module):
    """z [N, z_dim] -> images [N, C, R, R] in [-1, 1]; batch norm everywhere except the output.

    With `discrete_code=K`, the first K latent dimensions select one of K categories (their argmax,
    uniform for z ~ N(0, I)), which G receives one-hot in their place: a categorical latent code
    as in InfoGAN (Chen et al. 2016) without its mutual-information term. It lets G make
    disconnected modes (distinct digit classes) without blending them where a continuous latent
    passes from one to the next; z stays standard normal, so samplers need not know about it.
    """

    def __init__(
        self,
        resolution: int,
        channels: int,
        z_dim: int = 100,
        width: int = 64,
        max_width: int = 512,
        discrete_code: int = 0,
        upsample: Literal["transposed", "resize"] = "transposed",
        extra_convs: int = 0,
        num_classes: int = 0,
        label_dim: int = 0,
    ):
        super().__init__()
        if discrete_code > z_dim:
            raise ValueError(f"generator.discrete_code={discrete_code} exceeds generator.z_dim={z_dim}")
        self.z_dim, self.resolution, self.channels = z_dim, resolution, channels
        self.discrete_code, self.num_classes, self.label_dim = discrete_code, num_classes, label_dim
        self.cond_dim = condition_dim(num_classes, label_dim)
        widths = _widths(resolution, width, max_width)
        layers: list[nn.Module] = [
            # [N, z (+ K one-hot class or L label vector, cGAN), 1, 1] -> [N, w0, 4, 4]
            nn.ConvTranspose2d(z_dim + self.cond_dim, widths[0], 4, 1, 0, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(inplace=True),
        ]
        for c_in, c_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [*_up(c_in, c_out, upsample, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]
            for _ in range(extra_convs):
                layers += [nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]
        layers += [*_up(widths[-1], channels, upsample, bias=True), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        check_shape("z", z, [None, self.z_dim])
        if self.cond_dim:
            z = torch.cat([z, dense_condition(c, self.num_classes, self.label_dim, z)], dim=1)  # [N, z] -> [N, z + K]
        if self.discrete_code:
            k = self.discrete_code
            code = F.one_hot(z[:, :k].argmax(dim=1), k).to(z.dtype)  # [N, K] one-hot of the category
            z = torch.cat([code, z[:, k:]], dim=1)
        return self.net(z[:, :, None, None])  # [N, z] -> [N, z, 1, 1] -> [N, C, R, R]


@DISCRIMINATORS.register("dcgan", options=DCGANDiscriminatorOptions)
class DCGANDiscriminator(nn.Module):
    """images [N, C, R, R] -> logits [N] ([N / pack] with PacGAN); strided convolutions, LeakyReLU 0.2, no input BN."""

    def __init__(
        self,
        resolution: int,
        channels: int,
        width: int = 64,
        max_width: int = 512,
        norm: Literal["batch", "spectral", "none"] = "batch",
        minibatch_std_group: int = 0,
        extra_convs: int = 0,
        conditioning: Literal["projection", "concat", "acgan"] = "projection",
        pack: int = 1,
        num_classes: int = 0,
        label_dim: int = 0,
    ):
        super().__init__()
        cond_dim = condition_dim(num_classes, label_dim)
        if pack > 1 and cond_dim:
            raise ConfigError(f"discriminator.pack={pack} with data.conditional: a pack of samples has no one label")
        self.resolution, self.channels, self.pack = resolution, channels, pack
        self.num_classes, self.label_dim, self.cond_dim = num_classes, label_dim, cond_dim
        self.concat_labels = cond_dim > 0 and conditioning == "concat"
        in_channels = channels * pack + (cond_dim if self.concat_labels else 0)
        widths = _widths(resolution, width, max_width)[::-1]  # resolution/2 down to 4

        def stride_one(c: int) -> list[nn.Module]:  # extra 3x3 layers at one resolution
            norm_layer = [nn.BatchNorm2d(c)] if norm == "batch" else []
            return [nn.Conv2d(c, c, 3, 1, 1, bias=norm != "batch"), *norm_layer, nn.LeakyReLU(0.2, True)]

        layers: list[nn.Module] = [nn.Conv2d(in_channels, widths[0], 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        layers += [m for _ in range(extra_convs) for m in stride_one(widths[0])]
        for c_in, c_out in zip(widths[:-1], widths[1:], strict=True):
            norm_layer = [nn.BatchNorm2d(c_out)] if norm == "batch" else []
            layers += [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=norm != "batch"), *norm_layer, nn.LeakyReLU(0.2, True)]
            layers += [m for _ in range(extra_convs) for m in stride_one(c_out)]
        if minibatch_std_group:
            layers.append(MinibatchStd(minibatch_std_group))  # [N, w, 4, 4] -> [N, w + 1, 4, 4]
        layers += [nn.Conv2d(widths[-1] + bool(minibatch_std_group), 1, 4, 1, 0)]  # [N, w, 4, 4] -> [N, 1, 1, 1]
        self.net = nn.Sequential(*layers)
        self.aux_classifier = cond_dim > 0 and conditioning == "acgan"
        projection = cond_dim > 0 and conditioning == "projection"
        # The projection's embedding: a lookup table for classes, a linear map (no bias) of a label vector.
        self.embed = None
        if projection:
            w = widths[-1]
            self.embed = nn.Embedding(num_classes, w) if num_classes else nn.Linear(label_dim, w, bias=False)
        self.feature_width = widths[-1]
        self.classes = nn.Linear(widths[-1], cond_dim) if self.aux_classifier else None  # class or attribute logits
        init_dcgan_weights(self)
        if norm == "spectral":
            for m in [*self.net, self.embed, self.classes]:
                if isinstance(m, nn.Conv2d | nn.Embedding | nn.Linear):
                    spectral_norm(m)

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        check_shape("img", img, [None, self.channels, self.resolution, self.resolution])
        if self.pack > 1:
            img = pack_samples(img, self.pack)  # [N, C, R, R] -> [N / m, m * C, R, R]
        if self.concat_labels:
            maps = dense_condition(c, self.num_classes, self.label_dim, img)[:, :, None, None]
            img = torch.cat([img, maps.expand(-1, -1, *img.shape[2:])], dim=1)  # [N, C, R, R] -> [N, C + K, R, R]
        if self.embed is None:  # unconditional, concat, or AC-GAN (whose logit ignores the label)
            return self.net(img).flatten()  # [N, 1, 1, 1] -> [N]
        h = self.net[:-1](img)  # [N, w (+1), 4, 4], the last hidden map
        logits = self.net[-1](h).flatten()
        pooled = h[:, : self.feature_width].sum(dim=(2, 3))  # [N, w], minibatch-std channel left out
        return logits + (self.embed(check_condition(c, self.num_classes, self.label_dim)) * pooled).sum(dim=1)

    def forward_with_classes(self, img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """AC-GAN: (logits [N], class logits [N, K] or attribute logits [N, L]) from one pass over the shared trunk."""
        check_shape("img", img, [None, self.channels, self.resolution, self.resolution])
        if not self.aux_classifier:
            raise ValueError("forward_with_classes needs discriminator.conditioning='acgan' with data.conditional")
        h = self.net[:-1](img)  # [N, w (+1), 4, 4]
        pooled = h[:, : self.classes.in_features].sum(dim=(2, 3))  # [N, w]
        return self.net[-1](h).flatten(), self.classes(pooled)
