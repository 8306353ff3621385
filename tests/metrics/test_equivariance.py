import math

import pytest
import torch
from torch import nn

from gankit.metrics.equivariance import equivariance, psnr_from_sums
from gankit.metrics.image_transforms import pseudo_rotate, rotate, translate_fractional, translate_integer
from gankit.models.mapping import MappingNetwork
from gankit.models.stylegan2 import StyleGAN2Generator
from gankit.models.stylegan3 import FourierInput, StyleGAN3Generator


def _wave(x, y):
    """A band-limited test image as a function of normalized coordinates."""
    return torch.cos(2 * math.pi * (2.3 * x + 1.1 * y) + 0.4)[None, None]


def _grid(size=32):
    c = (torch.arange(size) + 0.5) / size * 2 - 1
    yy, xx = torch.meshgrid(c, c, indexing="ij")
    return xx, yy


def test_integer_translation_reference_values():
    """Content moves by (+tx, +ty) pixels and the mask covers exactly the defined part."""
    img = torch.arange(16.0).reshape(1, 1, 4, 4)
    out, mask = translate_integer(img, 1, -2)
    expected = torch.tensor([[0, 8, 9, 10], [0, 12, 13, 14], [0, 0, 0, 0], [0, 0, 0, 0.0]])
    torch.testing.assert_close(out[0, 0], expected, rtol=0, atol=0)
    expected_mask = torch.tensor([[0, 1, 1, 1], [0, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0.0]])
    torch.testing.assert_close(mask[0, 0], expected_mask, rtol=0, atol=0)


def test_subpixel_translation_and_rotation_match_the_analytic_image():
    """Lanczos shift and band-limited rotation of a sampled plane wave equal the moved wave (> 35 dB where masked)."""
    xx, yy = _grid()
    img = _wave(xx, yy)
    out, mask = translate_fractional(img, 2.4, -1.3)
    ref = _wave(xx - 2.4 * 2 / 32, yy + 1.3 * 2 / 32)
    assert psnr_from_sums(((out - ref).square() * mask).sum().item(), mask.sum().item()) > 35
    for angle in (0.3, -2.5):
        out, mask = rotate(img, angle)
        c, s = math.cos(-angle), math.sin(-angle)
        ref = _wave(c * xx - s * yy, s * xx + c * yy)  # content at p moves to R(angle) p
        assert mask.mean() > 0.3
        assert psnr_from_sums(((out - ref).square() * mask).sum().item(), mask.sum().item()) > 35
        kept, kept_mask = pseudo_rotate(img, angle)  # a low-frequency wave lies inside every rotated band
        assert psnr_from_sums(((kept - img).square() * kept_mask).sum().item(), kept_mask.sum().item()) > 35


class _FourierOnly(nn.Module):
    """A 'generator' whose image is one Fourier-feature channel: exactly equivariant in the continuum."""

    def __init__(self):
        super().__init__()
        self.z_dim = 8
        self.mapping = MappingNetwork(8, 8, 1, num_layers=1)
        self.synthesis = nn.Module()
        self.synthesis.input = FourierInput(8, 16, size=32, sampling_rate=32, bandwidth=3)
        self.synthesis.forward = lambda ws, noise_mode="none": self.synthesis.input(ws[:, 0])[:, :1]


def test_fourier_features_score_high_on_every_metric():
    """The input layer alone is translation and rotation equivariant, so the metric's conventions (signs, units,
    centre of rotation) agree with the generator's input transform: all three scores are high."""
    torch.manual_seed(0)
    scores = equivariance(_FourierOnly(), ("eqt", "eqt_frac", "eqr"), num_samples=8, batch_size=4, seed=1)
    assert scores["eqt"] > 60 and scores["eqt_frac"] > 40 and scores["eqr"] > 35, scores


def test_metric_is_deterministic_and_restores_the_generator():
    """Equal seeds give equal scores; the input transform and training mode are restored afterwards."""
    torch.manual_seed(0)
    G = StyleGAN3Generator(32, 1, z_dim=16, w_dim=16, channel_base=128, channel_max=8, num_layers=3, margin_size=2)
    a = equivariance(G, ("eqt", "eqr"), num_samples=4, batch_size=2, seed=5)
    b = equivariance(G, ("eqt", "eqr"), num_samples=4, batch_size=2, seed=5)
    assert a == b and G.training
    assert torch.equal(G.synthesis.input.transform, torch.eye(3))
    with pytest.raises(ValueError, match="kinds must be among"):
        equivariance(G, ("eqx",))


def test_stylegan3_t_scores_higher_eqt_than_stylegan2_of_the_same_size():
    """Issue 6: at initialization (seeded), StyleGAN3-T is far more translation equivariant than a StyleGAN2 G of
    similar size at 32 px, with both outputs scaled to the same RMS so the PSNR compares like with like."""
    torch.manual_seed(0)
    g3 = StyleGAN3Generator(32, 1, z_dim=32, w_dim=32, channel_base=256, channel_max=16, num_layers=4, margin_size=4)
    torch.manual_seed(0)
    g2 = StyleGAN2Generator(32, 1, z_dim=32, w_dim=32, width=8, max_width=16)
    count = [sum(p.numel() for p in g.parameters()) for g in (g3, g2)]
    assert 0.3 < count[0] / count[1] < 3, count
    z = torch.randn(64, 32)
    with torch.no_grad():
        rms2, rms3 = (g.eval()(z, noise_mode="none").square().mean().sqrt().item() for g in (g2, g3))
    g3.synthesis.output_scale *= rms2 / rms3
    eqt3 = equivariance(g3, ("eqt",), num_samples=16, batch_size=8)["eqt"]
    eqt2 = equivariance(g2, ("eqt",), num_samples=16, batch_size=8)["eqt"]
    assert eqt3 > eqt2 + 10, (eqt3, eqt2)
    with pytest.raises(NotImplementedError, match="constant cannot rotate"):
        equivariance(g2, ("eqr",), num_samples=2)
