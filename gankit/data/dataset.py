"""The in-memory image dataset every source decodes into."""

from dataclasses import dataclass

import torch


@dataclass
class ImageDataset:
    """Decoded images held in memory as uint8, the form they have on disk.

    Attributes:
        images: uint8 [N, C, H, W] in [0, 255].
        labels: int64 [N] class indices, float32 [N, D] label vectors (multi-label or continuous
            attributes), or None when the data is unlabelled.
        num_classes: number of classes for class labels, else None.
        name: a short description used in logs.
        skipped: files that were unreadable and skipped (`data.skip_bad: true`).
    """

    images: torch.Tensor
    labels: torch.Tensor | None
    num_classes: int | None
    name: str
    skipped: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        assert self.images.dtype == torch.uint8 and self.images.ndim == 4, "images must be uint8 [N, C, H, W]"
        assert self.labels is None or len(self.labels) == len(self.images), "one label per image"

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def resolution(self) -> int:
        return self.images.shape[-1]

    @property
    def channels(self) -> int:
        return self.images.shape[1]

    def describe(self) -> str:
        if self.labels is None:
            labels = "no labels"
        elif self.num_classes is None:
            labels = f"label vectors of {self.labels.shape[1]}"
        else:
            labels = f"{self.num_classes} classes"
        skipped = f", {len(self.skipped)} bad files skipped" if self.skipped else ""
        n, c, h, w = self.images.shape
        return f"{self.name}: {n} images, {c}x{h}x{w}, {labels}{skipped}"


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 [N, C, H, W] in [0, 255] -> float [N, C, H, W] in [-1, 1]."""
    return images.float() / 127.5 - 1


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """float [N, C, H, W] in [-1, 1] -> uint8 [N, C, H, W]; the one rounding rule used everywhere.

    Values are clamped to [-1, 1], mapped to [0, 255] and rounded to the nearest integer.
    """
    img = torch.nan_to_num(images.detach().float(), nan=0.0)  # NaN would make the uint8 cast undefined
    return ((img.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
