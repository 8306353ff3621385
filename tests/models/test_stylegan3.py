import math

import pytest
import torch

from gankit.models.stylegan2 import StyleGAN2Discriminator
from gankit.models.stylegan3 import StyleGAN3Generator, layer_schedule

SMALL = {"z_dim": 16, "w_dim": 16, "channel_base": 128, "channel_max": 16, "num_layers": 4, "margin_size": 2}


def tiny_g(resolution=32, config="t", **kwargs):
    torch.manual_seed(0)
    return StyleGAN3Generator(resolution, 1, config=config, **{**SMALL, **kwargs})


@pytest.mark.parametrize("resolution", [32, 64])
@pytest.mark.parametrize("config", ["t", "r"])
def test_generator_shapes_and_discriminator_fit(resolution, config):
    """T and R give [N, C, R, R] from z at 32 and 64 px, with num_ws = layers + 2, and the StyleGAN2 D reads them."""
    G = tiny_g(resolution, config)
    img = G(torch.randn(3, 16))
    assert img.shape == (3, 1, resolution, resolution) and torch.isfinite(img).all()
    assert G.num_ws == SMALL["num_layers"] + 2
    assert StyleGAN2Discriminator(resolution, 1, width=8, max_width=16)(img).shape == (3,)


def test_config_selects_kernel_size_and_radial_filters():
    """T: 3x3 convs and separable (1-D) filters; R: 1x1 convs and 2-D radial down filters except in the
    critically sampled layers; to-RGB is 1x1 in both."""
    t, r = tiny_g(config="t").synthesis.layers, tiny_g(config="r").synthesis.layers
    assert [layer.weight.shape[-1] for layer in t] == [3, 3, 3, 3, 1]
    assert [layer.weight.shape[-1] for layer in r] == [1, 1, 1, 1, 1]
    assert all(layer.down_filter is None or layer.down_filter.ndim == 1 for layer in t)
    assert [layer.down_filter is not None and layer.down_filter.ndim == 2 for layer in r] == [1, 1, 0, 0, 0]


def test_paper_schedule_at_1024():
    """The 1024 px schedule of the paper (appendix F): sizes 36 -> 1044 with 10-sample margins, the last two
    1024, cutoffs 2 -> 512 reached at layer 12, sampling rates powers of two, channels min(16384 / f_c, 512)."""
    specs = layer_schedule(1024, 3)
    assert [s.size for s in specs] == [36, 36, 52, 52, 84, 148, 148, 276, 276, 532, 1044, 1044, 1044, 1024, 1024]
    assert specs[0].cutoff == 2 and specs[12].cutoff == specs[14].cutoff == 512
    assert all(s.sampling_rate >= 2 * s.cutoff for s in specs)  # no layer below Nyquist of its band
    assert [s.channels for s in specs[:7]] == [512] * 7 and specs[12].channels == 32 and specs[14].channels == 3
    for s in specs:
        assert math.isclose(s.half_width, max(s.stopband, s.sampling_rate / 2) - s.cutoff)


def test_gradients_reach_every_parameter():
    """No dead branch: input affine, mixing weight, every layer's affine, weight and bias get a gradient."""
    G = tiny_g(config="r")
    G(torch.randn(2, 16)).sum().backward()
    missing = [n for n, p in G.named_parameters() if p.grad is None]
    assert not missing, missing


def test_input_transform_translates_the_fourier_features():
    """A user transform with translation -t shifts the input features by +t image widths (one sample at rate s)."""
    G = tiny_g().eval()
    inp = G.synthesis.input
    w = G.mapping(torch.randn(2, 16))[:, 0]
    base = inp(w)
    inp.transform[0, 2] = -1 / inp.sampling_rate  # one sample to the right
    shifted = inp(w)
    torch.testing.assert_close(shifted[..., 1:], base[..., :-1], rtol=1e-4, atol=1e-5)


def test_magnitude_ema_updates_in_training_mode_only():
    """The to-RGB input normalization moves in training and stays fixed in eval (repeatable samples)."""
    G = tiny_g()
    G(torch.randn(4, 16))
    ema = [layer.magnitude_ema.clone() for layer in G.synthesis.layers]
    assert all((e != 1).all() for e in ema)
    G.eval()(torch.randn(4, 16))
    assert all(torch.equal(a, layer.magnitude_ema) for a, layer in zip(ema, G.synthesis.layers, strict=True))


def test_schedule_rejects_bad_layer_counts():
    """num_critical must leave at least one non-critical layer; the message names both values."""
    with pytest.raises(ValueError, match="num_critical=4 must be smaller than num_layers=4"):
        layer_schedule(32, 1, num_layers=4, num_critical=4)
