import math

import pytest
import torch
import torch.nn.functional as F

from gankit.models.pggan import PGGANDiscriminator, PGGANGenerator
from gankit.nn.equalized import EqualizedConv2d, EqualizedLinear
from gankit.nn.resize import downsample_box, upsample_nearest


def _nets(resolution: int = 32, channels: int = 3):
    torch.manual_seed(0)
    G = PGGANGenerator(resolution, channels, z_dim=16, width=8, max_width=32)
    D = PGGANDiscriminator(resolution, channels, width=8, max_width=32)
    return G, D


def _perturb(module: torch.nn.Module) -> None:
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn_like(p))


def test_shapes_at_every_stage():
    """G draws and D scores images at the current stage's resolution, 4x4 up to R, faded or not."""
    G, D = _nets()
    z = torch.randn(8, 16)
    for stage in range(4):
        for alpha in [1.0] if stage == 0 else [0.0, 0.3, 1.0]:
            G.set_growth(stage, alpha)
            D.set_growth(stage, alpha)
            img = G(z)
            res = 4 * 2**stage
            assert img.shape == (8, 3, res, res) and G.current_resolution == res
            assert D(img).shape == (8,)
            assert torch.isfinite(img).all()


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_generator_at_alpha_0_equals_previous_stage_upsampled(stage):
    """At the start of a fade the grown G draws exactly the previous stage's image, pixels doubled."""
    G, _ = _nets()
    z = torch.randn(6, 16)
    G.set_growth(stage - 1, 1.0)
    previous = G(z)
    G.set_growth(stage, 0.0)
    torch.testing.assert_close(G(z), upsample_nearest(previous, previous.shape[-1] * 2), rtol=0, atol=0)


@pytest.mark.parametrize("stage", [1, 3])
def test_generator_at_alpha_1_is_the_new_block_alone_and_blends_linearly(stage):
    """Alpha 1 ignores the previous toRGB; alpha a is the lerp of the two ends (the paper's fade-in)."""
    G, _ = _nets()
    z = torch.randn(6, 16)
    G.set_growth(stage, 1.0)
    new = G(z)
    G.set_growth(stage, 0.0)
    old = G(z)
    G.set_growth(stage, 0.25)
    torch.testing.assert_close(G(z), torch.lerp(old, new, 0.25), rtol=1e-5, atol=1e-6)
    _perturb(G.to_rgb[stage - 1])
    G.set_growth(stage, 1.0)
    torch.testing.assert_close(G(z), new, rtol=0, atol=0)


@pytest.mark.parametrize("stage", [1, 2, 3])
def test_discriminator_at_alpha_0_equals_previous_stage_on_downsampled_input(stage):
    """At the start of a fade D scores an image as the previous stage scores its 2x2-box downsample."""
    _, D = _nets()
    res = 4 * 2**stage
    img = torch.randn(8, 3, res, res)
    D.set_growth(stage - 1, 1.0)
    previous = D(downsample_box(img, res // 2))
    D.set_growth(stage, 0.0)
    torch.testing.assert_close(D(img), previous, rtol=0, atol=0)


def test_discriminator_at_alpha_1_ignores_the_previous_from_rgb():
    """Alpha 1 reads the image through the new fromRGB and block alone; below 1 the old path counts."""
    _, D = _nets()
    img = torch.randn(8, 3, 16, 16)
    D.set_growth(2, 1.0)
    full = D(img)
    D.set_growth(2, 0.5)
    faded = D(img)
    _perturb(D.from_rgb[1])
    assert not torch.allclose(D(img), faded)
    D.set_growth(2, 1.0)
    torch.testing.assert_close(D(img), full, rtol=0, atol=0)


def test_growth_travels_in_the_state_dict():
    """A loaded network works at the saved stage and alpha (the checkpoint's growth state)."""
    G, _ = _nets()
    G.set_growth(2, 0.375)
    other = PGGANGenerator(32, 3, z_dim=16, width=8, max_width=32)
    assert (other.stage, other.alpha) == (3, 1.0)  # a new network is fully grown
    other.load_state_dict(G.state_dict())
    assert (other.stage, other.alpha) == (2, 0.375)
    z = torch.randn(4, 16)
    torch.testing.assert_close(other(z), G(z), rtol=0, atol=0)


@pytest.mark.parametrize("stage, alpha", [(4, 1.0), (-1, 1.0), (2, 1.5), (0, 0.5)])
def test_set_growth_refuses_a_stage_or_alpha_outside_the_network(stage, alpha):
    """A stage beyond the network, alpha outside [0, 1] or a fade at 4x4 is an error, not a silent clamp."""
    G, _ = _nets()
    with pytest.raises(ValueError, match="stages are 0..3"):
        G.set_growth(stage, alpha)


def test_every_layer_has_an_equalized_learning_rate():
    """PGGAN section 4.1: weights are stored N(0, 1) and scaled at run time by 1/sqrt(fan_in) (He's constant)."""
    G, D = _nets(resolution=64, channels=3)
    layers = [m for net in (G, D) for m in net.modules() if isinstance(m, EqualizedConv2d | EqualizedLinear)]
    plain = [m for net in (G, D) for m in net.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)]
    assert layers and not plain
    for layer in layers:
        fan_in = layer.weight[0].numel()
        assert layer.weight_gain == pytest.approx(1 / math.sqrt(fan_in))
        if layer.weight.numel() >= 1000:
            assert layer.weight.std().item() == pytest.approx(1.0, abs=0.1)

    # The forward pass uses the scaled weight: a 3x3 conv with leaky ReLU and He's gain sqrt(2).
    conv = G.blocks[0].conv0
    x = torch.randn(2, conv.in_channels, 8, 8)
    w = conv.weight / math.sqrt(conv.in_channels * 9)
    expected = F.leaky_relu(F.conv2d(x, w, conv.bias, padding=1), 0.2) * math.sqrt(2)
    torch.testing.assert_close(conv(x), expected, rtol=1e-5, atol=1e-5)


def test_pixel_norm_gives_unit_feature_vectors_in_g():
    """Every G block ends in pixel norm: each position's feature vector has unit mean square."""
    G, _ = _nets()
    x = torch.randn(4, 32, 4, 4) * 5
    out = G.blocks[0](x)
    torch.testing.assert_close(out.square().mean(dim=1), torch.ones(4, 8, 8), rtol=1e-4, atol=1e-4)
