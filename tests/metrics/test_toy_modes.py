import math

import pytest
import torch

from gankit.data.points import mixture
from gankit.metrics.toy_modes import mode_stats

HQ_MASS = 1 - math.exp(-4.5)  # 2-D Gaussian mass within 3 std: 98.89%


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_true_mixture_scores_every_mode_and_the_3_std_mass(name):
    """A sampler of the true mixture captures all modes with 98.9% high quality (VEEGAN's criterion)."""
    mix = mixture(name)
    stats = mode_stats(mix.sample(2500, torch.Generator().manual_seed(0)), mix.centres, mix.std)
    assert stats.modes == len(mix.centres)
    assert stats.hq_share == pytest.approx(HQ_MASS, abs=4 * math.sqrt(HQ_MASS * (1 - HQ_MASS) / 2500))
    assert 0 <= stats.reverse_kl < 0.02


def test_mode_stats_hand_computed():
    """Three samples at mode 0, one at mode 1, one far away: 2 modes, 80% HQ, KL of (3/4, 1/4) vs 1/8 each."""
    centres = mixture("ring8").centres
    samples = torch.stack([centres[0], centres[0], centres[0] + 0.02, centres[1], torch.tensor([0.0, 0.0])])
    stats = mode_stats(samples, centres, 0.01)
    assert stats.modes == 2 and stats.hq_share == pytest.approx(0.8)
    assert stats.reverse_kl == pytest.approx(0.75 * math.log(0.75 * 8) + 0.25 * math.log(0.25 * 8))


def test_mode_stats_is_independent_of_sample_order():
    mix = mixture("grid25")
    samples = mix.sample(500, torch.Generator().manual_seed(1)) * 1.02
    a = mode_stats(samples, mix.centres, mix.std)
    b = mode_stats(samples.flip(0), mix.centres, mix.std)
    assert a == b


def test_no_high_quality_sample_gives_nan_reverse_kl():
    stats = mode_stats(torch.full((4, 2), 10.0), mixture("ring8").centres, 0.01)
    assert stats.modes == 0 and stats.hq_share == 0 and math.isnan(stats.reverse_kl)
