"""Multi-scale discriminator (Wang et al. 2018, "High-resolution image synthesis and semantic
manipulation with conditional GANs" (pix2pixHD), section 3.2).

S discriminators of one family judge the same image at S scales: the input, then each scale
average-pooled by 2 (a 3x3 window, stride 2, as pix2pixHD's code does). The coarse heads see global
structure with a large receptive field, the fine ones local detail. The module returns logits
[M, S], one column per head; every loss and penalty in gankit is then computed per head and summed
(`gankit.losses.heads`, `gankit.losses.penalties`).
"""

import inspect
from typing import Any, Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from torch import nn

from gankit.errors import ConfigError
from gankit.nn.shape import check_shape
from gankit.registry import DISCRIMINATORS


class MultiScaleDiscriminatorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["multiscale"] = "multiscale"
    scales: int = Field(3, ge=2, le=6)  # number of heads; head s sees the image downsampled s times by 2
    base: Any = {"name": "dcgan"}  # the discriminator of every scale: any image family and its options

    @field_validator("base", mode="before")
    @classmethod
    def _base(cls, v: Any) -> dict:
        # Validate the per-scale family's own options now, so a typo fails before anything is built.
        if isinstance(v, BaseModel):
            v = v.model_dump()
        if not isinstance(v, dict) or not isinstance(v.get("name"), str):
            raise ValueError(f"discriminator.base must be a mapping with a 'name' key (a D family), got {v!r}")
        if v["name"] == "multiscale":
            raise ValueError("discriminator.base cannot itself be 'multiscale'")
        entry = DISCRIMINATORS.get(v["name"], key="discriminator.base.name")
        try:
            return entry.options.model_validate(v).model_dump()
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise ValueError(f"{where}={err.get('input')!r}: {err['msg']}") from None


def downsample(img: torch.Tensor) -> torch.Tensor:
    """[N, C, H, W] -> [N, C, H/2, W/2] by a 3x3 average with stride 2 (borders average valid pixels only)."""
    return F.avg_pool2d(img, 3, stride=2, padding=1, count_include_pad=False)


@DISCRIMINATORS.register("multiscale", options=MultiScaleDiscriminatorOptions)
class MultiScaleDiscriminator(nn.Module):
    """images [N, C, R, R] (and labels) -> logits [M, S]: head s judges the image at R / 2**s."""

    def __init__(
        self,
        resolution: int,
        channels: int,
        scales: int = 3,
        base: dict | None = None,
        num_classes: int = 0,
        label_dim: int = 0,
    ):
        super().__init__()
        base = dict(base or {"name": "dcgan"})
        family = base.pop("name")
        build = DISCRIMINATORS.get(family, key="discriminator.base.name").build
        labels = {}
        if num_classes or label_dim:
            key = "num_classes" if num_classes else "label_dim"
            if key not in inspect.signature(build).parameters:
                raise ConfigError(f"data.conditional=true, but discriminator.base.name='{family}' takes no such labels")
            if base.get("conditioning") == "acgan":
                raise ConfigError(
                    "discriminator.base.conditioning='acgan' needs one class head, which a multi-scale D lacks; "
                    "use 'projection' or 'concat'"
                )
            labels = {key: num_classes or label_dim}
        self.resolution, self.channels, self.scales = resolution, channels, scales
        self.conditional = bool(num_classes or label_dim)
        heads = []
        for s in range(scales):
            side = resolution // 2**s
            try:
                heads.append(build(resolution=side, channels=channels, **base, **labels))
            except ValueError as exc:
                raise ConfigError(
                    f"discriminator.scales={scales} at data.resolution={resolution}: scale {s} is {side}x{side}, "
                    f"which discriminator.base.name='{family}' cannot take ({exc}); use fewer scales"
                ) from None
        self.heads = nn.ModuleList(heads)

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        check_shape("img", img, [None, self.channels, self.resolution, self.resolution])
        logits = []
        for s, head in enumerate(self.heads):
            if s:
                img = downsample(img)
            logits.append(head(img, c) if self.conditional else head(img))  # [M] each
        return torch.stack(logits, dim=1)  # [M, S]
