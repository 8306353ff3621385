"""Build the augment a config's `augment` section names, and ADA's controller when p is adaptive."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import torch

from gankit.augment.ada import ADA
from gankit.augment.ada_controller import ADAController
from gankit.augment.base import Augment, Identity
from gankit.augment.diffaugment import DiffAugment

if TYPE_CHECKING:
    from gankit.config import AugmentConfig


def build_augment(
    cfg: AugmentConfig,
    generator: torch.Generator,
    reduce_mean: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> tuple[Augment, ADAController | None]:
    """The augment applied before D, and the controller that adapts it (None unless ADA is adaptive).

    Args:
        cfg: the validated `augment` section (at most one of DiffAugment and ADA is on).
        generator: the run's augmentation stream.
        reduce_mean: averages a tensor over ranks, for the controller's r_t.
    """
    if cfg.ada.mode != "none":
        ada = ADA(generator, cfg.ada.p, cfg.ada.multipliers(), cfg.ada.interpolation)
        if cfg.ada.mode == "fixed":
            return ada, None
        return ada, ADAController(ada, cfg.ada.target, cfg.ada.ada_kimg, cfg.ada.interval, reduce_mean)
    if cfg.diffaugment:
        return DiffAugment(cfg.diffaugment, generator, cfg.translation_ratio, cfg.cutout_ratio), None
    return Identity(generator), None
