"""Layers and tensor helpers. Nothing here knows about GANs."""

from gankit.nn.shape import check_shape

__all__ = ["check_shape"]
