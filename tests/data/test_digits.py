import torch

from gankit.data.digits import load_digits_dataset, split_indices


def test_split_is_fixed_disjoint_and_complete():
    """The train/test split never changes: the digits metric's reference numbers depend on it."""
    train, test = split_indices()
    assert len(train) == 1347 and len(test) == 450
    assert not set(train) & set(test) and len(set(train) | set(test)) == 1797
    assert train[:5].tolist() == split_indices()[0][:5].tolist()


def test_digits_resolution_range_and_labels():
    ds = load_digits_dataset("test", resolution=16, channels=3)
    assert ds.images.shape == (450, 3, 16, 16) and ds.images.dtype == torch.uint8
    assert ds.labels.unique().tolist() == list(range(10))
    assert ds.images.max() == 255 and ds.images.min() == 0
