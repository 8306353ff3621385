import pytest
import torch

from gankit.config import load_config
from gankit.errors import ConfigError
from gankit.losses import build_loss
from gankit.losses.least_squares import least_squares_losses


@pytest.mark.parametrize(("a", "b", "c"), [(0.0, 1.0, 1.0), (-1.0, 1.0, 0.0)])
def test_lsgan_matches_hand_computed_values(a, b, c):
    """LSGAN's eq. 2 (Mao et al. 2017) for both target codings of the paper."""
    real, fake = torch.tensor([0.5, 2.0]), torch.tensor([-0.5, 1.0])
    loss = least_squares_losses(a, b, c)
    d_expected = 0.5 * ((0.5 - b) ** 2 + (2.0 - b) ** 2) / 2 + 0.5 * ((-0.5 - a) ** 2 + (1.0 - a) ** 2) / 2
    g_expected = 0.5 * ((-0.5 - c) ** 2 + (1.0 - c) ** 2) / 2
    torch.testing.assert_close(loss.d(real, fake), torch.tensor(d_expected))
    torch.testing.assert_close(loss.g(fake, None), torch.tensor(g_expected))


def test_lsgan_targets_come_from_the_config():
    cfg = load_config("dcgan-digits", ["loss.name=lsgan", "loss.options.a=-1", "loss.options.c=0"])
    assert cfg.loss.options == {"a": -1.0, "b": 1.0, "c": 0.0}  # resolved with the default b
    loss = build_loss(cfg.loss)
    torch.testing.assert_close(loss.g(torch.tensor([0.0, 2.0]), None), torch.tensor(1.0))


def test_unknown_loss_option_names_the_key_and_the_valid_ones():
    with pytest.raises(ConfigError, match=r"loss.options.d=1 for loss 'lsgan'.*valid options: a, b, c"):
        load_config("dcgan-digits", ["loss.name=lsgan", "loss.options.d=1"])
