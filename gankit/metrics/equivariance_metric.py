"""EQ-T, EQ-T (subpixel) and EQ-R as `gankit eval` metrics of a generator (see metrics/equivariance.py)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from gankit.metrics.equivariance import equivariance
from gankit.registry import METRICS

EQUIVARIANCE_METRICS = ("eqt", "eqt_frac", "eqr")


class EquivarianceOptions(BaseModel):
    """Settings of the equivariance metrics (the paper's values by default)."""

    model_config = ConfigDict(extra="forbid")
    translate_max: float = Field(0.125, gt=0, le=0.5)  # largest translation, as a fraction of the image width
    rotate_max: float = Field(1.0, gt=0, le=1)  # largest rotation in half-turns (1: any angle)
    batch_size: int = Field(32, ge=1)  # latents per batch; each batch shares one random transform, as published


def _register(kind: str) -> None:
    @METRICS.register(kind, options=EquivarianceOptions)
    def metric(G: nn.Module, num_samples: int, seed: int, options: EquivarianceOptions) -> tuple[dict, dict]:
        """PSNR in dB of G(transformed input) against transformed G(input); higher is more equivariant."""
        try:
            value = equivariance(
                G,
                [kind],
                num_samples=num_samples,
                batch_size=options.batch_size,
                seed=seed,
                translate_max=options.translate_max,
                rotate_max=options.rotate_max,
            )[kind]
        except NotImplementedError as exc:
            raise ValueError(str(exc)) from None
        settings: dict[str, Any] = {"batch_size": options.batch_size, "unit": "dB"}
        settings |= {"rotate_max": options.rotate_max} if kind == "eqr" else {"translate_max": options.translate_max}
        return {"value": value}, settings


for _kind in EQUIVARIANCE_METRICS:
    _register(_kind)
