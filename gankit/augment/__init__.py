"""Augmentations for the images D sees (one interface: `Augment`), and the ADA controller."""

from gankit.augment.ada import ADA
from gankit.augment.ada_controller import ADAController
from gankit.augment.base import Augment, Identity
from gankit.augment.build import build_augment
from gankit.augment.diffaugment import DiffAugment

__all__ = ["ADA", "ADAController", "Augment", "DiffAugment", "Identity", "build_augment"]
