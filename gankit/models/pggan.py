"""Progressive growing of GANs (Karras et al. 2018, "Progressive growing of GANs for improved quality,
stability, and variation", section 2, figure 2 and table 2).

Both networks hold every resolution from 4x4 up to R from the start and work at one of them, the
current stage s (resolution 4 * 2**s). While stage s fades in, alpha rises from 0 to 1:
- G: img = lerp(upsample(toRGB_{s-1}(h_{s-1})), toRGB_s(block_s(h_{s-1})), alpha),
- D: x = lerp(fromRGB_{s-1}(downsample(img)), block_s(fromRGB_s(img)), alpha), then the lower blocks.
At alpha 0 each network equals its previous stage (G's image upsampled, D's input downsampled); at
alpha 1 the new block alone is used. Upsampling copies pixels (nearest neighbour) and downsampling
averages 2x2 boxes, as in the paper. G normalises z and every feature vector (pixel norm, section
4.2); D ends with minibatch std (section 3), a 3x3 convolution and two dense layers. Every layer has
an equalized learning rate (section 4.1). Channels at resolution r are min(width * R / r, max_width)
(the paper's 1024-px networks: width 16, max_width 512).

Paper symbols: alpha -> `alpha`; the stage s -> `stage`; the paper's level of detail is R's stage minus s.
The stage and alpha live in the `growth` buffer, so a checkpoint's weights say which stage they are at;
`gankit.games.progressive` sets them before every training step from the images shown.
"""

import math
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from gankit.models.stylegan2 import channels_at
from gankit.nn.equalized import EqualizedConv2d, EqualizedLinear
from gankit.nn.minibatch_std import MinibatchStd
from gankit.nn.pixel_norm import PixelNorm
from gankit.nn.resize import downsample_box, upsample_nearest
from gankit.nn.shape import check_shape
from gankit.registry import DISCRIMINATORS, GENERATORS


class PGGANGeneratorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["pggan"] = "pggan"
    z_dim: int = Field(512, ge=1)
    width: int = Field(16, ge=1)  # channels at the output resolution; doubles at each lower one
    max_width: int = Field(512, ge=1)


class PGGANDiscriminatorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["pggan"] = "pggan"
    width: int = Field(16, ge=1)  # channels at the input resolution; doubles at each lower one
    max_width: int = Field(512, ge=1)
    mbstd_group_size: int = Field(4, ge=1)
    mbstd_channels: int = Field(1, ge=1)


class GrowingNetwork(nn.Module):
    """A network with one stage per resolution 4, 8, ..., R that works at one stage and fades into it.

    The stage and alpha are kept as Python numbers for the forward pass (no device sync) and mirrored in
    the float64 buffer `growth` = [stage, alpha], which travels with the weights; loading a state dict
    restores them. A new network is fully grown: stage log2(R) - 2, alpha 1.
    """

    def __init__(self, resolution: int) -> None:
        super().__init__()
        if resolution < 4 or resolution & (resolution - 1):
            raise ValueError(f"PGGAN needs a power-of-two resolution >= 4, got {resolution}")
        self.resolution = resolution
        self.num_stages = int(math.log2(resolution)) - 1
        self.stage, self.alpha = self.num_stages - 1, 1.0
        self.register_buffer("growth", torch.tensor([self.stage, self.alpha], dtype=torch.float64))
        self.register_load_state_dict_post_hook(GrowingNetwork._read_growth)

    @staticmethod
    def _read_growth(module: "GrowingNetwork", incompatible_keys) -> None:
        # After load_state_dict: take the stage and alpha the loaded `growth` buffer holds.
        stage, alpha = module.growth.tolist()
        module._check(int(stage), alpha)
        module.stage, module.alpha = int(stage), alpha

    def _check(self, stage: int, alpha: float) -> None:
        if not 0 <= stage < self.num_stages or not 0 <= alpha <= 1 or (stage == 0 and alpha != 1):
            raise ValueError(
                f"growth stage {stage} with alpha {alpha} is outside this {self.resolution}x{self.resolution} "
                f"network: stages are 0..{self.num_stages - 1}, alpha in [0, 1], and stage 0 has no fade (alpha 1)"
            )

    def set_growth(self, stage: int, alpha: float) -> None:
        """Work at resolution 4 * 2**stage, faded in by `alpha` (1: the new block alone).

        Raises:
            ValueError: a stage outside 0..log2(R) - 2, alpha outside [0, 1], or alpha < 1 at stage 0.
        """
        self._check(stage, alpha)
        if (stage, alpha) == (self.stage, self.alpha):
            return
        self.stage, self.alpha = stage, float(alpha)
        with torch.no_grad():
            self.growth[0].fill_(stage)  # fill_ with a Python number: no host-device sync
            self.growth[1].fill_(self.alpha)

    @property
    def current_resolution(self) -> int:
        """The resolution of the current stage."""
        return 4 * 2**self.stage

    def growth_summary(self) -> str:
        """The stage in words, e.g. '16x16, fading in (alpha 0.250)' or '32x32'."""
        res = self.current_resolution
        return f"{res}x{res}" + (f", fading in (alpha {self.alpha:.3f})" if self.alpha < 1 else "")


class GeneratorBlock(nn.Module):
    """[N, c_in, r, r] -> [N, c_out, 2r, 2r]: nearest-neighbour upsample, then two 3x3 convs, each with
    leaky ReLU and pixel norm (table 2)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv0 = EqualizedConv2d(c_in, c_out, 3, activation="lrelu")
        self.conv1 = EqualizedConv2d(c_out, c_out, 3, activation="lrelu")
        self.norm = PixelNorm()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = upsample_nearest(x, x.shape[-1] * 2)
        return self.norm(self.conv1(self.norm(self.conv0(x))))


@GENERATORS.register("pggan", options=PGGANGeneratorOptions)
class PGGANGenerator(GrowingNetwork):
    """z [N, z_dim] -> images [N, channels, r, r] at the current resolution r (unbounded, about [-1, 1]).

    Args:
        resolution: the final resolution R (a power of two >= 4).
        channels: image channels.
        z_dim: latent size.
        width, max_width: channels at R, doubling at each lower resolution up to max_width.
    """

    def __init__(self, resolution: int, channels: int, z_dim: int = 512, width: int = 16, max_width: int = 512) -> None:
        super().__init__(resolution)
        self.z_dim, self.channels = z_dim, channels
        ch = [channels_at(4 * 2**s, resolution, width, max_width) for s in range(self.num_stages)]
        self.norm = PixelNorm()
        self.dense = EqualizedLinear(z_dim, ch[0] * 16, activation="lrelu")  # the paper's 4x4 conv on a 1x1 input
        self.conv = EqualizedConv2d(ch[0], ch[0], 3, activation="lrelu")
        self.blocks = nn.ModuleList([GeneratorBlock(ch[s - 1], ch[s]) for s in range(1, self.num_stages)])
        self.to_rgb = nn.ModuleList([EqualizedConv2d(c, channels, 1) for c in ch])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_shape("z", z, [None, self.z_dim])

        # Map the normalised latent to the 4x4 features.
        x = self.dense(self.norm(z)).reshape(z.shape[0], -1, 4, 4)  # [N, C4*16] -> [N, C4, 4, 4]
        x = self.norm(self.conv(self.norm(x)))

        # Grow through the blocks of the stages below the current one.
        for block in self.blocks[: max(self.stage - 1, 0)]:
            x = block(x)
        if self.stage == 0:
            return self.to_rgb[0](x)

        # Fade the new block in over the upsampled image of the previous stage.
        new = self.to_rgb[self.stage](self.blocks[self.stage - 1](x))
        if self.alpha >= 1:
            return new
        old = upsample_nearest(self.to_rgb[self.stage - 1](x), new.shape[-1])
        return torch.lerp(old, new, self.alpha)


class DiscriminatorBlock(nn.Module):
    """[N, c_in, r, r] -> [N, c_out, r/2, r/2]: two 3x3 convs with leaky ReLU, then 2x2 average pooling."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv0 = EqualizedConv2d(c_in, c_in, 3, activation="lrelu")
        self.conv1 = EqualizedConv2d(c_in, c_out, 3, activation="lrelu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return downsample_box(self.conv1(self.conv0(x)), x.shape[-1] // 2)


@DISCRIMINATORS.register("pggan", options=PGGANDiscriminatorOptions)
class PGGANDiscriminator(GrowingNetwork):
    """images [N, channels, r, r] at the current resolution r -> logits [N] (a WGAN critic's scores).

    Args:
        resolution: the final resolution R (a power of two >= 4).
        channels: image channels.
        width, max_width: channels at R, doubling at each lower resolution up to max_width.
        mbstd_group_size, mbstd_channels: the minibatch std layer's group size and number of maps.
    """

    def __init__(
        self,
        resolution: int,
        channels: int,
        width: int = 16,
        max_width: int = 512,
        mbstd_group_size: int = 4,
        mbstd_channels: int = 1,
    ) -> None:
        super().__init__(resolution)
        self.channels = channels
        ch = [channels_at(4 * 2**s, resolution, width, max_width) for s in range(self.num_stages)]
        self.from_rgb = nn.ModuleList([EqualizedConv2d(channels, c, 1, activation="lrelu") for c in ch])
        self.blocks = nn.ModuleList([DiscriminatorBlock(ch[s], ch[s - 1]) for s in range(1, self.num_stages)])
        self.mbstd = MinibatchStd(mbstd_group_size, mbstd_channels)
        self.conv = EqualizedConv2d(ch[0] + mbstd_channels, ch[0], 3, activation="lrelu")
        self.fc = EqualizedLinear(ch[0] * 16, ch[0], activation="lrelu")
        self.out = EqualizedLinear(ch[0], 1)

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        res = self.current_resolution
        check_shape("img", img, [None, self.channels, res, res])

        # Read the image through the current stage's fromRGB and block, faded in over the previous stage.
        x = self.from_rgb[self.stage](img)
        if self.stage > 0:
            x = self.blocks[self.stage - 1](x)
            if self.alpha < 1:
                old = self.from_rgb[self.stage - 1](downsample_box(img, res // 2))
                x = torch.lerp(old, x, self.alpha)

        # Shrink through the lower blocks to 4x4 and score.
        for block in reversed(self.blocks[: max(self.stage - 1, 0)]):
            x = block(x)
        x = self.conv(self.mbstd(x))
        return self.out(self.fc(x.flatten(1))).flatten()  # [N, C4*16] -> [N, 1] -> [N]
