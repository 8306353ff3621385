import pytest
import torch

from gankit.models.resnet import ResNetDiscriminator, ResNetGenerator


@pytest.mark.parametrize("resolution", [8, 16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_generator_and_discriminator_agree_at_every_resolution(resolution, channels):
    """G's images fit D at every supported size, with attention where a map of that size exists."""
    G = ResNetGenerator(resolution, channels, z_dim=8, width=16, attention_resolution=8)
    D = ResNetDiscriminator(resolution, channels, width=16, attention_resolution=8)
    img = G(torch.randn(3, 8))
    assert img.shape == (3, channels, resolution, resolution)
    assert img.abs().max() <= 1
    assert D(img).shape == (3,)


def test_discriminator_normalises_every_layer_by_default():
    """SNGAN's D: every convolution and the final linear layer carry spectral normalization."""
    D = ResNetDiscriminator(16, 1, width=16)
    layers = [m for m in D.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.Linear)]
    assert layers and all(hasattr(m, "parametrizations") for m in layers)


def test_bad_attention_resolution_names_the_key_and_choices():
    with pytest.raises(ValueError, match=r"generator.attention_resolution=12 .* one of \[8, 16\]"):
        ResNetGenerator(16, 1, attention_resolution=12)


def test_gradients_reach_every_parameter():
    """No dead branch: one backward pass through D(G(z)) gives every G and D parameter a gradient."""
    G = ResNetGenerator(16, 1, z_dim=8, width=16, attention_resolution=8)
    D = ResNetDiscriminator(16, 1, width=16, attention_resolution=8)
    for block in (*G.modules(), *D.modules()):
        if hasattr(block, "gamma"):
            block.gamma.data.fill_(0.5)  # an open gate, so attention weights get gradients too
    D(G(torch.randn(4, 8))).sum().backward()
    missing = [n for n, p in [*G.named_parameters(), *D.named_parameters()] if p.grad is None]
    assert not missing, missing
