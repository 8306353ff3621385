import numpy as np

from gankit.config import load_config
from gankit.data import open_dataset
from gankit.data.digits import load_digits_dataset


def test_max_images_keeps_a_fixed_class_balanced_subset():
    """Limited-data studies need the same subset for every run seed, with every class present."""
    a = load_digits_dataset("train", 16, max_images=100)
    b = load_digits_dataset("train", 16, max_images=100)
    assert len(a) == 100 and np.bincount(a.labels.numpy()).tolist() == [10] * 10
    assert a.images.equal(b.images)
    full = load_digits_dataset("train", 16)
    assert all((full.images == img).flatten(1).all(dim=1).any() for img in a.images[:10])  # drawn from the split


def test_max_images_reaches_the_training_data_through_the_config():
    cfg = load_config("dcgan-digits", ["data.max_images=300"])
    assert len(open_dataset(cfg.data, "train", progress=False)) == 300
    assert len(open_dataset(load_config("dcgan-digits", ["data.max_images=5000"]).data, "train")) == 1347
