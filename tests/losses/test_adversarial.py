import math

import torch

from gankit.losses.adversarial import d_logistic, g_minimax, g_non_saturating
from gankit.losses.penalties import r1_penalty


def test_losses_match_hand_computed_values():
    """Logit-space losses equal the probability-space formulas of Goodfellow et al. 2014."""
    real, fake = torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 1.0])
    sig = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    d_expected = -(math.log(sig(0)) + math.log(sig(2))) / 2 - (math.log(1 - sig(-1)) + math.log(1 - sig(1))) / 2
    torch.testing.assert_close(d_logistic(real, fake), torch.tensor(d_expected), rtol=1e-6, atol=1e-6)
    ns_expected = -(math.log(sig(-1)) + math.log(sig(1))) / 2
    torch.testing.assert_close(g_non_saturating(fake), torch.tensor(ns_expected), rtol=1e-6, atol=1e-6)
    mm_expected = (math.log(1 - sig(-1)) + math.log(1 - sig(1))) / 2
    torch.testing.assert_close(g_minimax(fake), torch.tensor(mm_expected), rtol=1e-6, atol=1e-6)


def test_losses_stay_finite_for_extreme_logits():
    big = torch.tensor([1e4, -1e4])
    for value in (d_logistic(big, big), g_non_saturating(big), g_minimax(big)):
        assert torch.isfinite(value)


def test_r1_of_linear_discriminator_is_its_squared_weight_norm():
    w = torch.tensor([1.0, -2.0, 3.0, 0.5]).reshape(1, 4, 1, 1)
    real = torch.randn(5, 1, 2, 2, requires_grad=True)
    logits = (real.reshape(5, 4) * w.reshape(1, 4)).sum(1)
    torch.testing.assert_close(r1_penalty(real, logits), torch.tensor(1 + 4 + 9 + 0.25), rtol=1e-6, atol=1e-6)


def test_hinge_loss_values():
    from gankit.losses.hinge import d_hinge, g_hinge

    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])
    torch.testing.assert_close(d_hinge(real, fake), torch.tensor((0 + 0.5) / 2 + (0 + 1) / 2))
    torch.testing.assert_close(g_hinge(fake), torch.tensor(1.0))
