import numpy as np
import torch

from gankit.data.digits import load_digits_dataset
from gankit.data.stacked_digits import load_stacked_digits
from gankit.metrics.digits_net import load_digits_net
from gankit.metrics.stacked_modes import mode_stats, triple_modes


def test_channels_are_real_digits_and_labels_encode_the_triple():
    """Every channel is one digit of the same split, and the label is 100a + 10b + c of those digits."""
    stacked = load_stacked_digits("test", 16, num_images=300)
    digits = load_digits_dataset("test", 16)
    assert stacked.images.shape == (300, 3, 16, 16) and stacked.num_classes == 1000
    flat = digits.images[:, 0].flatten(1)  # [450, 256]
    for i in range(0, 300, 37):
        triple = []
        for c in range(3):
            match = (flat == stacked.images[i, c].flatten()).all(dim=1).nonzero()
            assert len(match) >= 1, "a channel that is not a test digit"
            triple.append(int(digits.labels[match[0, 0]]))
        assert stacked.labels[i] == triple[0] * 100 + triple[1] * 10 + triple[2]


def test_fixed_draw_is_reproducible():
    a, b = load_stacked_digits("train", 8, num_images=50), load_stacked_digits("train", 8, num_images=50)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)


def test_mode_stats_on_known_histograms():
    """All modes once each: 1,000 modes, KL 0; a single mode: KL = log(1000)."""
    assert mode_stats(np.arange(1000)) == {"modes": 1000, "kl": 0.0}
    one = mode_stats(np.full(50, 7))
    assert one["modes"] == 1 and np.isclose(one["kl"], np.log(1000))


def test_real_stacked_digits_are_labelled_by_the_shipped_network():
    """The mode labeller agrees with the true triples on real test images (it is what the metric trusts)."""
    stacked = load_stacked_digits("test", 16, num_images=400)
    modes = triple_modes(load_digits_net(), stacked.images)
    assert (modes == stacked.labels.numpy()).mean() > 0.9
