"""Stacked digits: three independently drawn handwritten digits as the R, G and B channels.

The digits analogue of Stacked MNIST (Metz et al. 2017; Srivastava et al. 2017, VEEGAN): with 10
classes per channel there are 1,000 modes (digit triples), all equally likely, so a generator's
mode coverage can be counted. Each split draws its channels from the same split of the built-in
digits, so test triples never reuse a training digit.
"""

from typing import Literal

import numpy as np
import torch

from gankit.data.dataset import ImageDataset
from gankit.data.digits import load_digits_dataset

SIZES = {"train": 25_600, "test": 10_000}
SEEDS = {"train": 1, "test": 2}  # fixed: the dataset is the same on every machine and numpy version


def load_stacked_digits(
    split: Literal["train", "test"] = "train", resolution: int = 32, num_images: int | None = None
) -> ImageDataset:
    """Build the stacked-digits split.

    Args:
        split: "train" (25,600 images from the 1,347 train digits) or "test" (10,000 from the 450 test digits).
        resolution: side length, one of the digits' resolutions (8, 16, 32, 64).
        num_images: draw this many images instead of the split's default size.

    Returns:
        uint8 images [N, 3, R, R] and labels 100 * a + 10 * b + c for the digits (a, b, c) in (R, G, B).
    """
    digits = load_digits_dataset(split, resolution, channels=1)
    n = num_images or SIZES[split]
    rng = np.random.RandomState(SEEDS[split])  # legacy RandomState: a stream that never changes
    picks = torch.from_numpy(rng.randint(0, len(digits), size=(n, 3)))  # [N, 3] indices into the digits
    images = digits.images[picks, 0]  # [N, 3, R, R]: one digit per channel
    digit_labels = digits.labels[picks]  # [N, 3]
    labels = digit_labels @ torch.tensor([100, 10, 1])
    return ImageDataset(images=images, labels=labels, num_classes=1000, name=f"stacked digits ({split} split)")
