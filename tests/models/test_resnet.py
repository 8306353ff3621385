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


def test_conditional_generator_uses_each_class_and_vector():
    """SNGAN-projection G: its conditional BN starts as plain BN, then each class (or vector) shifts the output."""
    torch.manual_seed(0)
    G = ResNetGenerator(16, 1, z_dim=8, width=16, num_classes=10).eval()
    z = torch.randn(2, 8)
    torch.testing.assert_close(G(z, torch.tensor([1, 1])), G(z, torch.tensor([4, 4])))  # fresh: gains 1, biases 0
    for m in G.modules():
        if hasattr(m, "gain") and isinstance(m.gain, torch.nn.Embedding):
            torch.nn.init.normal_(m.gain.weight, std=0.5)
    assert not torch.allclose(G(z, torch.tensor([1, 1])), G(z, torch.tensor([4, 4])))
    with pytest.raises(ValueError, match=r"needs labels c \[N\]"):
        G(z)
    vector_g = ResNetGenerator(16, 1, z_dim=8, width=16, label_dim=3)
    assert vector_g(z, torch.rand(2, 3)).shape == (2, 1, 16, 16)


def test_projection_discriminator_with_label_vectors_is_linear_in_the_label():
    """SNGAN-projection D with vectors adds <V y, h>: the label term doubles when y doubles."""
    torch.manual_seed(0)
    D = ResNetDiscriminator(16, 1, width=16, label_dim=3).eval()  # eval: the SN estimate stays fixed
    img, y = torch.randn(2, 1, 16, 16), torch.tensor([[1.0, 0.0, 0.5], [0.0, 1.0, 0.25]])
    base = D(img, torch.zeros_like(y))
    torch.testing.assert_close(D(img, 2 * y) - base, 2 * (D(img, y) - base))
    assert not torch.allclose(D(img, y), base)
