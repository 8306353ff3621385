import math

import torch

from gankit.losses.relativistic import d_ragan, d_ralsgan, g_ragan, g_ralsgan

REAL, FAKE = torch.tensor([1.0, 3.0]), torch.tensor([-2.0, 0.0])  # means 2 and -1


def _softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_ragan_matches_hand_computed_values():
    """RaSGAN (Jolicoeur-Martineau 2018, section 4.3): logits taken relative to the other side's mean."""
    real_rel, fake_rel = [1 + 1, 3 + 1], [-2 - 2, 0 - 2]  # C(x_r) - E C(x_f), C(x_f) - E C(x_r)
    d_expected = sum(_softplus(-r) for r in real_rel) / 2 + sum(_softplus(f) for f in fake_rel) / 2
    g_expected = sum(_softplus(-f) for f in fake_rel) / 2 + sum(_softplus(r) for r in real_rel) / 2
    torch.testing.assert_close(d_ragan(REAL, FAKE), torch.tensor(d_expected))
    torch.testing.assert_close(g_ragan(FAKE, REAL), torch.tensor(g_expected))


def test_ralsgan_matches_hand_computed_values():
    """RaLSGAN: E (C(x_r) - E C(x_f) - 1)^2 + E (C(x_f) - E C(x_r) + 1)^2 and its mirror for G."""
    d_expected = ((2 - 1) ** 2 + (4 - 1) ** 2) / 2 + ((-4 + 1) ** 2 + (-2 + 1) ** 2) / 2
    g_expected = ((-4 - 1) ** 2 + (-2 - 1) ** 2) / 2 + ((2 + 1) ** 2 + (4 + 1) ** 2) / 2
    torch.testing.assert_close(d_ralsgan(REAL, FAKE), torch.tensor(float(d_expected)))
    torch.testing.assert_close(g_ralsgan(FAKE, REAL), torch.tensor(float(g_expected)))
