import pytest
import torch

from gankit.models.dcgan import DCGANDiscriminator, DCGANGenerator


@pytest.mark.parametrize("resolution", [8, 16, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_generator_and_discriminator_agree_at_every_resolution(resolution, channels):
    """G's output fits D at every resolution (the classic 64x64 G with a 32x32-only D cannot happen)."""
    G = DCGANGenerator(resolution, channels, z_dim=16, width=8)
    D = DCGANDiscriminator(resolution, channels, width=8)
    img = G(torch.randn(3, 16))
    assert img.shape == (3, channels, resolution, resolution)
    assert img.min() >= -1 and img.max() <= 1
    assert D(img).shape == (3,)


def test_batch_norm_placement_follows_paper():
    """No batch norm at G's output layer or D's input layer; ReLU/Tanh in G, LeakyReLU 0.2 in D."""
    G, D = DCGANGenerator(32, 1), DCGANDiscriminator(32, 1)
    g_layers, d_layers = list(G.net), list(D.net)
    assert isinstance(g_layers[-1], torch.nn.Tanh) and isinstance(g_layers[-2], torch.nn.ConvTranspose2d)
    assert isinstance(d_layers[0], torch.nn.Conv2d) and isinstance(d_layers[1], torch.nn.LeakyReLU)
    assert d_layers[1].negative_slope == 0.2
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in G.modules()) == 3
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules()) == 2


def test_paper_widths_at_64():
    G = DCGANGenerator(64, 3, z_dim=100, width=64)
    assert [m.out_channels for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)] == [512, 256, 128, 64, 3]


def test_shape_errors_are_clear():
    G, D = DCGANGenerator(32, 1, z_dim=10), DCGANDiscriminator(32, 1)
    with pytest.raises(ValueError, match=r"z has shape \[2, 9\], expected \[\*, 10\]"):
        G(torch.randn(2, 9))
    with pytest.raises(ValueError, match=r"img has shape \[2, 1, 16, 16\], expected \[\*, 1, 32, 32\]"):
        D(torch.randn(2, 1, 16, 16))
    with pytest.raises(ValueError, match="power-of-two resolution"):
        DCGANGenerator(24, 1)


@pytest.mark.parametrize("norm", ["spectral", "none"])
def test_discriminator_norm_options(norm):
    D = DCGANDiscriminator(32, 1, width=8, norm=norm)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())
    assert D(torch.randn(2, 1, 32, 32)).shape == (2,)
    has_sn = any("parametrizations" in k for k in D.state_dict())
    assert has_sn == (norm == "spectral")


@pytest.mark.parametrize("resolution", [8, 16, 32])
def test_resize_upsampling_keeps_shapes_and_replaces_every_transposed_stride_two_layer(resolution):
    """upsample="resize": same output shape, and only the 1x1 -> 4x4 projection stays transposed."""
    G = DCGANGenerator(resolution, 1, z_dim=16, width=8, upsample="resize")
    assert G(torch.randn(2, 16)).shape == (2, 1, resolution, resolution)
    assert sum(isinstance(m, torch.nn.ConvTranspose2d) for m in G.modules()) == 1
    assert sum(isinstance(m, torch.nn.Upsample) for m in G.modules()) == int(torch.log2(torch.tensor(resolution))) - 2


def test_minibatch_std_discriminator_reacts_to_batch_spread():
    """With minibatch std on, D's logit for a sample depends on the other samples in its group."""
    D = DCGANDiscriminator(16, 1, width=8, minibatch_std_group=4).eval()
    x = torch.randn(4, 1, 16, 16)
    y = x.clone()
    y[1:] = torch.randn(3, 1, 16, 16)
    assert D(x).shape == (4,)
    assert not torch.allclose(D(x)[0], D(y)[0])


@pytest.mark.parametrize("extra", [1, 2])
def test_extra_stride_one_convolutions_keep_the_pair_compatible(extra):
    """extra_convs adds 3x3 layers per resolution in G and D without changing any input or output shape."""
    G = DCGANGenerator(16, 1, z_dim=16, width=8, extra_convs=extra)
    D = DCGANDiscriminator(16, 1, width=8, extra_convs=extra)
    plain = DCGANDiscriminator(16, 1, width=8)
    assert D(G(torch.randn(2, 16))).shape == (2,)
    n_conv3 = sum(isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3) for m in D.modules())
    assert n_conv3 == 2 * extra and len(list(D.modules())) > len(list(plain.modules()))


@pytest.mark.parametrize("conditioning", ["projection", "concat"])
def test_class_conditional_pair_depends_on_the_label(conditioning):
    """With num_classes set, G's images and D's logits change with the label (and both need one)."""
    G = DCGANGenerator(16, 1, z_dim=8, width=8, num_classes=10).eval()
    D = DCGANDiscriminator(16, 1, width=8, conditioning=conditioning, num_classes=10).eval()
    with torch.no_grad():
        if D.embed is not None:
            D.embed.weight.normal_()  # a trained-looking embedding, so the projection term is not ~0
    z, c0, c1 = torch.randn(4, 8), torch.zeros(4, dtype=torch.long), torch.ones(4, dtype=torch.long)
    assert not torch.allclose(G(z, c0), G(z, c1))
    img = G(z, c0)
    assert D(img, c0).shape == (4,) and not torch.allclose(D(img, c0), D(img, c1))
    with pytest.raises(ValueError, match="class-conditional .* needs labels"):
        D(img)


def test_projection_term_matches_its_closed_form():
    """logit(x, y) - logit(x, y') = <embed(y) - embed(y'), sum of the last hidden map> (Miyato & Koyama 2018)."""
    D = DCGANDiscriminator(16, 1, width=8, num_classes=3).eval()
    img, y0, y1 = torch.randn(2, 1, 16, 16), torch.tensor([0, 0]), torch.tensor([2, 2])
    pooled = D.net[:-1](img).sum(dim=(2, 3))
    want = ((D.embed.weight[0] - D.embed.weight[2]) * pooled).sum(dim=1)
    torch.testing.assert_close(D(img, y0) - D(img, y1), want)


def test_acgan_head_predicts_classes_and_ignores_the_label_in_its_logit():
    """AC-GAN's D: the adversarial logit does not depend on c; the class head gives [N, K] from the same pass."""
    D = DCGANDiscriminator(16, 1, width=8, conditioning="acgan", num_classes=10).eval()
    img = torch.randn(3, 1, 16, 16)
    logits, classes = D.forward_with_classes(img)
    assert classes.shape == (3, 10)
    torch.testing.assert_close(D(img, torch.tensor([0, 1, 2])), logits)
    torch.testing.assert_close(D(img, torch.tensor([5, 5, 5])), logits)
