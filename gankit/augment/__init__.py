"""Augmentations for the images D sees."""

from gankit.augment.diffaugment import DiffAugment

__all__ = ["DiffAugment"]
