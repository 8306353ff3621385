"""Config sections for ADA and the dataset-side transforms (`augment.ada`, `augment.dataset`)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


class AdaOptions(_Options):
    """Adaptive discriminator augmentation (Karras et al. 2020); see `gankit/augment/ada.py`.

    The per-transform values multiply p for that transform; the defaults are the paper's
    "blit + geometric + colour" pipeline (filtering, noise and cutout off).
    """

    mode: Literal["none", "adaptive", "fixed"] = "none"  # adaptive: the controller moves p; fixed: p stays
    p: float = Field(0.0, ge=0, le=1)  # the starting p (adaptive) or the constant p (fixed)
    target: float = Field(0.6, gt=-1, lt=1)  # the r_t = E[sign(D(real))] the controller holds
    ada_kimg: float = Field(500.0, gt=0)  # thousands of images for p to go from 0 to 1 at full speed
    interval: int = Field(4, ge=1)  # adjust p every this many training steps
    interpolation: Literal["bilinear", "bicubic"] = "bilinear"  # filter of the one geometric resampling
    xflip: float = Field(1.0, ge=0)
    rotate90: float = Field(1.0, ge=0)
    xint: float = Field(1.0, ge=0)
    scale: float = Field(1.0, ge=0)
    rotate: float = Field(1.0, ge=0)
    aniso: float = Field(1.0, ge=0)
    xfrac: float = Field(1.0, ge=0)
    brightness: float = Field(1.0, ge=0)
    contrast: float = Field(1.0, ge=0)
    lumaflip: float = Field(1.0, ge=0)
    hue: float = Field(1.0, ge=0)
    saturation: float = Field(1.0, ge=0)
    imgfilter: float = Field(0.0, ge=0)
    noise: float = Field(0.0, ge=0)
    cutout: float = Field(0.0, ge=0)

    def multipliers(self) -> dict[str, float]:
        """The per-transform probability multipliers, keyed by transform name."""
        from gankit.augment.ada import TRANSFORMS

        return {name: getattr(self, name) for name in TRANSFORMS}


class DatasetTransformOptions(_Options):
    """Random transforms of the real images as they leave the dataset, seeded from the run seed.

    Unlike DiffAugment and ADA these change only the reals, so G learns to make the transformed
    images: use only transforms under which the data stays plausible (x-flip for faces, not digits).
    """

    xflip: bool = False  # mirror left-right with probability 1/2
    translate_ratio: float = Field(0.0, ge=0, le=0.5)  # random crop: shift by up to this fraction of the side
    brightness: float = Field(0.0, ge=0, le=1)  # add U(-b, b)
    contrast: float = Field(0.0, ge=0, le=1)  # scale about the image mean by U(1 - c, 1 + c)
    saturation: float = Field(0.0, ge=0, le=1)  # scale about the grey value by U(1 - s, 1 + s); RGB only

    @property
    def active(self) -> bool:
        return self.xflip or any(v > 0 for v in (self.translate_ratio, self.brightness, self.contrast, self.saturation))
