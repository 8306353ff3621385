import torch

from gankit.losses.orthogonal import orthogonal_penalty, orthogonal_regularization
from gankit.nn.truncation import truncated_normal


def test_zero_for_orthogonal_filters_whatever_their_norms():
    """BigGAN's off-diagonal form is 0 for orthogonal rows, even with norms far from 1."""
    q, _ = torch.linalg.qr(torch.randn(6, 6))
    assert orthogonal_penalty(q * torch.arange(1.0, 7.0)[:, None]) < 1e-8


def test_value_for_two_filters():
    """Two filters with inner product 2 give 2 * 2^2 = 8 (both off-diagonal entries count)."""
    w = torch.tensor([[1.0, 1.0], [1.0, 1.0]])
    assert orthogonal_penalty(w).item() == 8.0
    conv = torch.nn.Conv2d(1, 2, 1, bias=False)
    with torch.no_grad():
        conv.weight.fill_(1.0)  # two 1x1 filters [1]: both off-diagonal inner products are 1
    assert orthogonal_regularization(conv, beta=0.5).item() == 0.5 * 2


def test_truncated_normal_stays_inside_and_is_seeded():
    g = torch.Generator().manual_seed(0)
    z = truncated_normal((1000, 8), 0.5, g)
    assert z.abs().max() <= 0.5 and z.std() > 0.2
    assert torch.equal(z, truncated_normal((1000, 8), 0.5, torch.Generator().manual_seed(0)))
