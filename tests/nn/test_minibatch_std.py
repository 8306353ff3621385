import pytest
import torch

from gankit.nn.minibatch_std import MinibatchStd


def test_identical_samples_give_zero_spread_and_varied_ones_do_not():
    """The appended channel is ~0 for a batch of copies and equals the group's feature std otherwise."""
    layer = MinibatchStd(group_size=4)
    same = torch.randn(1, 3, 2, 2).repeat(8, 1, 1, 1)
    assert layer(same)[:, 3].abs().max() < 1e-3
    x = torch.randn(4, 3, 2, 2)
    want = x.var(dim=0, unbiased=False).add(1e-8).sqrt().mean()
    out = layer(x)
    assert out.shape == (4, 4, 2, 2)
    torch.testing.assert_close(out[:, 3], want.expand(4, 2, 2))
    assert torch.equal(out[:, :3], x)


def test_groups_are_strided_across_the_batch():
    """With N = 8 and groups of 4, samples i and i + 2 share a group (StyleGAN's reshape order)."""
    x = torch.zeros(8, 1, 1, 1)
    x[[1, 3, 5, 7]] = torch.tensor([1.0, 2.0, 3.0, 4.0]).view(4, 1, 1, 1)  # group of odd samples varies
    out = MinibatchStd(group_size=4)(x)[:, 1, 0, 0]
    assert out[[0, 2, 4, 6]].max() < 1e-3 and (out[[1, 3, 5, 7]] > 1).all()


def test_indivisible_batch_is_a_clear_error():
    with pytest.raises(ValueError, match="batch 6 is not a multiple of the group size 4"):
        MinibatchStd(4)(torch.randn(6, 2, 2, 2))
