"""scikit-learn's 1,797 real handwritten digits (8x8, 10 classes) with a fixed train/test split."""

from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from gankit.data.dataset import ImageDataset
from gankit.errors import ConfigError

TEST_FRACTION = 0.25
SPLIT_SEED = 0
RESOLUTIONS = (8, 16, 32, 64)


def split_indices() -> tuple[np.ndarray, np.ndarray]:
    """The fixed stratified split: per class, a quarter of the images (seeded permutation) are test."""
    from sklearn.datasets import load_digits

    labels = load_digits().target
    rng = np.random.RandomState(SPLIT_SEED)  # legacy RandomState: its stream never changes across numpy versions
    train, test = [], []
    for k in range(10):
        idx = rng.permutation(np.flatnonzero(labels == k))
        n_test = int(round(len(idx) * TEST_FRACTION))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def resize_digits(pixels: np.ndarray, resolution: int) -> torch.Tensor:
    """[N, 64] values in 0..16 -> uint8 [N, 1, R, R], bilinear, ink bright on black."""
    img = torch.from_numpy(pixels.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)  # [N, 64] -> [N, 1, 8, 8]
    if resolution != 8:
        img = F.interpolate(img, size=(resolution, resolution), mode="bilinear", align_corners=False)
    return (img.clamp(0, 1) * 255).round().to(torch.uint8)


def balanced_subset(labels: np.ndarray, n: int) -> np.ndarray:
    """Positions of a fixed, class-balanced subset of `n` of `labels` (sorted); all of them when n >= len."""
    if n >= len(labels):
        return np.arange(len(labels))
    order = np.random.RandomState(SPLIT_SEED + 1).permutation(len(labels))
    rank_in_class = np.zeros(len(labels), dtype=np.int64)  # how many of its class come before it in `order`
    for k in np.unique(labels):
        members = order[labels[order] == k]
        rank_in_class[members] = np.arange(len(members))
    interleaved = order[np.argsort(rank_in_class[order], kind="stable")]  # one of each class, then the next ...
    return np.sort(interleaved[:n])


def load_digits_dataset(
    split: Literal["train", "test", "all"] = "train",
    resolution: int = 32,
    channels: int = 1,
    max_images: int | None = None,
) -> ImageDataset:
    """Load the built-in digits.

    Args:
        split: "train" (1,347 images), "test" (450 images) or "all" (1,797).
        resolution: output side length, one of 8, 16, 32, 64.
        channels: 1 for grayscale, 3 to repeat the grey channel as RGB.
        max_images: keep a fixed class-balanced subset of this many images (limited-data studies);
            the subset does not depend on the run seed. None keeps the whole split.

    Returns:
        An ImageDataset with uint8 images [N, channels, resolution, resolution] and labels 0..9.
    """
    from sklearn.datasets import load_digits

    if resolution not in RESOLUTIONS:
        raise ConfigError(f"data.resolution={resolution} is not supported for digits; choose one of {RESOLUTIONS}")
    if channels not in (1, 3):
        raise ConfigError(f"data.channels={channels} is not supported; choose 1 (grayscale) or 3 (RGB)")
    bunch = load_digits()
    train, test = split_indices()
    idx = {"train": train, "test": test, "all": np.arange(len(bunch.target))}[split]
    name = f"digits ({split} split)"
    if max_images is not None and max_images < len(idx):
        idx = idx[balanced_subset(bunch.target[idx], max_images)]
        name = f"digits ({split} split, balanced subset of {max_images})"
    images = resize_digits(bunch.data[idx], resolution)
    if channels == 3:
        images = images.repeat(1, 3, 1, 1)
    labels = torch.from_numpy(bunch.target[idx].astype(np.int64))
    return ImageDataset(images=images, labels=labels, num_classes=10, name=name)
