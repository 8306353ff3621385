import pytest
import torch

from gankit.augment import ADA, ADAController
from gankit.errors import ConfigError


def _controller(p=0.5, **kwargs):
    ada = ADA(torch.Generator().manual_seed(0), p, {"xflip": 1.0})
    return ada, ADAController(ada, **kwargs)


def _run(ctl, sign, steps, batch=32):
    """Feed `steps` training steps with one real batch each, continuing from the controller's last step."""
    first = ctl.last_nimg // batch
    for step in range(first, first + steps):
        ctl.observe({"loss_d": torch.tensor(1.0), "d_real_sign": torch.tensor(sign)})
        ctl.update(step, (step + 1) * batch)


def test_p_rises_when_d_is_overconfident_on_reals():
    """r_t above the target raises p by batch * interval / (ada_kimg * 1000) per adjustment (ADA, section 3)."""
    ada, ctl = _controller(p=0.5, target=0.6, ada_kimg=100, interval=4)
    _run(ctl, 0.9, steps=8)
    torch.testing.assert_close(ada.p, torch.tensor(0.5 + 2 * 32 * 4 / 100_000), rtol=0, atol=1e-7)


def test_p_falls_when_d_is_not_overconfident_and_stays_in_zero_one():
    ada, ctl = _controller(p=0.002, target=0.6, ada_kimg=100, interval=4)
    _run(ctl, 0.2, steps=4)
    torch.testing.assert_close(ada.p, torch.tensor(0.002 - 32 * 4 / 100_000), rtol=0, atol=1e-7)
    _run(ctl, -1.0, steps=40)
    assert ada.p.item() == 0.0
    ada.p = torch.tensor(0.999)
    _run(ctl, 1.0, steps=40)
    assert ada.p.item() == 1.0


def test_p_moves_only_every_interval_steps():
    ada, ctl = _controller(p=0.5, ada_kimg=1, interval=4)
    _run(ctl, 1.0, steps=3)
    assert ada.p.item() == 0.5
    ctl.observe({"d_real_sign": torch.tensor(1.0)})
    ctl.update(3, 128)
    assert ada.p.item() == pytest.approx(0.5 + 0.128)


def test_r_t_averages_over_the_interval():
    """Three overconfident batches and one very unsure one average to 0.5 < 0.6: p falls."""
    ada, ctl = _controller(p=0.5, target=0.6, ada_kimg=1, interval=4)
    for step, sign in enumerate([0.9, 0.9, 0.9, -0.7]):
        ctl.observe({"d_real_sign": torch.tensor(sign)})
        ctl.update(step, (step + 1) * 10)
    assert ada.p.item() == pytest.approx(0.5 - 0.04)


def test_controller_state_round_trip():
    ada, ctl = _controller(p=0.5, interval=4)
    _run(ctl, 0.9, steps=6)
    ada2, ctl2 = _controller(p=0.0, interval=4)
    ada2.load_state_dict(ada.state_dict())
    ctl2.load_state_dict(ctl.state_dict())
    assert ctl2.count == 2 and ctl2.last_nimg == ctl.last_nimg and torch.equal(ctl2.sign_sum, ctl.sign_sum)
    for c in (ctl, ctl2):
        c.observe({"d_real_sign": torch.tensor(0.9)})
        c.observe({"d_real_sign": torch.tensor(0.9)})
        c.update(7, 256)
    assert torch.equal(ada.p, ada2.p)


def test_a_game_that_never_reports_r_t_is_an_error():
    """Adaptive ADA with no d_real_sign from the game must fail loudly instead of leaving p at 0 for the run."""
    controller = ADAController(ADA(torch.Generator()), interval=2)
    controller.observe({"loss_d": torch.tensor(1.0)})
    controller.update(step=0, nimg=32)  # not an adjustment step yet
    with pytest.raises(ConfigError, match="needs the game to log 'd_real_sign'"):
        controller.update(step=1, nimg=64)
