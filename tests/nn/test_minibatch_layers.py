import pytest
import torch

from gankit.nn.maxout import MaxoutLinear
from gankit.nn.minibatch_discrimination import MinibatchDiscrimination
from gankit.nn.minibatch_std import MinibatchStd
from gankit.nn.pack import pack


def test_pack_groups_consecutive_distinct_samples():
    """PacGAN packing: input i holds samples i*m .. i*m+m-1, each once, concatenated along features."""
    x = torch.arange(12.0).reshape(6, 2)  # sample j is (2j, 2j+1)
    packed = pack(x, 3)
    assert packed.shape == (2, 6)
    torch.testing.assert_close(packed[1], torch.cat([x[3], x[4], x[5]]))
    assert packed.reshape(-1, 2).unique(dim=0).shape[0] == 6  # no sample repeated
    img = torch.randn(4, 3, 5, 5)
    assert pack(img, 2).shape == (2, 6, 5, 5)
    torch.testing.assert_close(pack(img, 2)[0, 3:], img[1])


def test_pack_rejects_a_batch_not_divisible_by_m():
    with pytest.raises(ValueError, match="batch of 5 samples is not a multiple of the packing degree 2"):
        pack(torch.zeros(5, 2), 2)


def test_minibatch_std_matches_hand_computation():
    x = torch.tensor([[0.0, 0.0], [2.0, 4.0], [1.0, 1.0], [3.0, 5.0]])  # groups of 2: samples {0, 2}, {1, 3}
    out = MinibatchStd(group_size=2)(x)
    assert out.shape == (4, 3)
    # group {0, 2}: stds (0.5, 0.5) -> 0.5; group {1, 3}: stds (0.5, 0.5) -> 0.5
    torch.testing.assert_close(out[:, 2], torch.full((4,), 0.5), rtol=1e-4, atol=1e-4)
    img = MinibatchStd(4)(torch.randn(8, 3, 4, 4))
    assert img.shape == (8, 4, 4, 4)


def test_minibatch_discrimination_shape_and_identical_samples():
    """Identical samples are maximally close: each statistic is n - 1 (one per other sample)."""
    layer = MinibatchDiscrimination(6, kernels=4, kernel_dim=3)
    out = layer(torch.ones(5, 6))
    assert out.shape == (5, 10)
    torch.testing.assert_close(out[:, 6:], torch.full((5, 4), 4.0))
    spread = layer(torch.randn(5, 6) * 10)
    assert (spread[:, 6:] < 4.0).all()


def test_maxout_takes_the_max_of_its_pieces():
    layer = MaxoutLinear(2, 3, pieces=4)
    x = torch.randn(7, 2)
    torch.testing.assert_close(layer(x), layer.linear(x).reshape(7, 3, 4).amax(dim=2))
