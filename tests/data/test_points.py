import math

import torch

from gankit.data.points import load_points, mixture


def test_ring8_has_eight_distinct_modes_on_the_unit_circle():
    """Angles 2 pi i / 8 for i < 8: spacing with linspace(0, 2 pi, 8) would give only 7 distinct modes."""
    centres = mixture("ring8").centres
    assert torch.cdist(centres, centres).add(torch.eye(8)).min() > 0.7  # neighbours 2 sin(pi / 8) = 0.765 apart
    torch.testing.assert_close(centres.norm(dim=1), torch.ones(8))
    assert mixture("ring8").std == 0.01


def test_grid25_means_and_std():
    mix = mixture("grid25")
    assert mix.centres.shape == (25, 2) and mix.std == 0.05
    assert sorted(set(mix.centres[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]


def test_point_set_is_fixed_and_balanced():
    a, b = load_points("grid25", 10_000), load_points("grid25", 10_000)
    assert torch.equal(a.images, b.images) and a.images.dtype == torch.float32
    nearest = torch.cdist(a.images, a.mixture.centres).argmin(dim=1)
    share = torch.bincount(nearest, minlength=25).float() / 10_000
    torch.testing.assert_close(share, torch.full((25,), 0.04), rtol=0, atol=4 * math.sqrt(0.04 * 0.96 / 10_000))
