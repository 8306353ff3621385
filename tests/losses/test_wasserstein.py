import pytest
import torch

from gankit.config import load_config
from gankit.errors import ConfigError
from gankit.losses import build_loss
from gankit.losses.wasserstein import d_wasserstein, g_wasserstein


def test_wasserstein_losses_match_hand_computed_values():
    """Critic loss E f(G(z)) - E f(x) and G loss -E f(G(z)) (Arjovsky et al. 2017, Algorithm 1)."""
    real, fake = torch.tensor([3.0, 1.0]), torch.tensor([-1.0, 0.5])
    torch.testing.assert_close(d_wasserstein(real, fake), torch.tensor(-0.25 - 2.0))
    torch.testing.assert_close(g_wasserstein(fake), torch.tensor(0.25))


def test_wgan_carries_its_clip_value_and_wgan_gp_none():
    clipped = build_loss(load_config("dcgan-digits", ["loss.name=wgan", "loss.options.weight_clip=0.05"]).loss)
    assert clipped.weight_clip == 0.05
    gp = build_loss(load_config("dcgan-digits", ["loss.name=wgan-gp", "loss.gp_weight=10"]).loss)
    assert gp.weight_clip is None


def test_wgan_gp_without_penalty_is_an_error():
    with pytest.raises(ConfigError, match=r"loss.name='wgan-gp' needs its gradient penalty: set loss.gp_weight"):
        load_config("dcgan-digits", ["loss.name=wgan-gp"])


def test_wgan_gp_drift_term_adds_epsilon_times_mean_squared_real_score():
    """PGGAN's critic loss (appendix A.1): E[D(G(z))] - E[D(x)] + epsilon_drift * E[D(x)^2]; G's loss is unchanged."""
    opts = ["loss.name=wgan-gp", "loss.gp_weight=10", "loss.options.drift_weight=0.001"]
    loss = build_loss(load_config("dcgan-digits", opts).loss)
    real, fake = torch.tensor([1.0, -3.0, 2.0]), torch.tensor([0.5, 0.5, -1.0])
    torch.testing.assert_close(loss.d(real, fake), d_wasserstein(real, fake) + 0.001 * torch.tensor(14.0 / 3))
    torch.testing.assert_close(loss.g(fake), g_wasserstein(fake))
