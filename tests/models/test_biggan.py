import pytest
import torch

from gankit.models.biggan import BigGANGenerator
from gankit.models.resnet import ResNetDiscriminator
from gankit.nn.conditional_norm import ConditionalBatchNorm2d


@pytest.mark.parametrize("resolution", [8, 16, 32])
def test_conditional_pair_shapes_and_label_dependence(resolution):
    """BigGAN G with a projection ResNet D agree at every size, and both depend on the label."""
    G = BigGANGenerator(resolution, 3, z_dim=20, width=16, embed_dim=8, num_classes=5).eval()
    D = ResNetDiscriminator(resolution, 3, width=16, num_classes=5).eval()
    with torch.no_grad():
        for m in G.modules():
            if isinstance(m, ConditionalBatchNorm2d):
                m.gain.weight.normal_()  # trained-looking class gains, so the label matters
        D.embed.parametrizations.weight.original.normal_()
    z, a, b = torch.randn(4, 20), torch.zeros(4, dtype=torch.long), torch.full((4,), 3)
    img = G(z, a)
    assert img.shape == (4, 3, resolution, resolution) and not torch.allclose(img, G(z, b))
    assert D(img, a).shape == (4,) and not torch.allclose(D(img, a), D(img, b))


def test_hierarchical_latent_reaches_every_block():
    """Each block's chunk of z changes the image: the latent is split across the blocks, not only the input."""
    G = BigGANGenerator(16, 1, z_dim=12, width=16, embed_dim=4, num_classes=3).eval()
    with torch.no_grad():
        for m in G.modules():
            if isinstance(m, ConditionalBatchNorm2d):
                m.gain.weight.normal_()
    z, c = torch.randn(2, 12), torch.tensor([0, 1])
    base = G(z, c)
    for start in (G.first, G.first + G.chunk):  # the chunks of the two up-blocks
        z2 = z.clone()
        z2[:, start : start + G.chunk] += 1.0
        assert not torch.allclose(G(z2, c), base)


def test_fresh_conditional_norms_are_plain_batch_norm():
    G = BigGANGenerator(16, 1, z_dim=12, width=16, num_classes=3)
    norms = [m for m in G.modules() if isinstance(m, ConditionalBatchNorm2d)]
    assert norms and all(m.gain.weight.abs().max() == 0 and m.bias.weight.abs().max() == 0 for m in norms)
