import pytest
import torch

from gankit.config import load_config
from gankit.models.stylegan import StyleGANGenerator
from gankit.models.stylegan2 import StyleGAN2Discriminator
from gankit.nn.adain import AdaIN
from gankit.train.loop import Trainer


def test_adain_sets_each_maps_mean_and_std_from_the_style():
    """AdaIN (StyleGAN eq. 1): per map, output mean = y_b and std = y_s = 1 + affine scale."""
    layer = AdaIN(4, 8)
    x, w = torch.randn(3, 4, 16, 16) * 3 + 2, torch.randn(3, 8)
    y = layer(x, w)
    style = layer.affine(w).reshape(3, 2, 4)
    torch.testing.assert_close(y.mean(dim=(2, 3)), style[:, 1], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(y.std(dim=(2, 3), unbiased=False), (style[:, 0] + 1).abs(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("resolution", [4, 8, 16])
def test_generator_shapes_and_gradients_reach_every_parameter(resolution):
    torch.manual_seed(0)
    G = StyleGANGenerator(resolution, 3, z_dim=16, w_dim=16, width=8, max_width=16)
    D = StyleGAN2Discriminator(resolution, 3, width=8, max_width=16, architecture="orig")
    img = G(torch.randn(4, 16))
    assert img.shape == (4, 3, resolution, resolution) and G.num_ws == 2 * resolution.bit_length() - 4
    D(img).sum().backward()
    missing = [n for n, p in [*G.named_parameters(), *D.named_parameters()] if p.grad is None]
    assert not missing, missing
    assert not any("skip" in n for n, _ in D.named_parameters())  # the plain (orig) D has no residual skips


def test_truncation_zero_gives_the_average_w_image():
    G = StyleGANGenerator(8, 1, z_dim=16, w_dim=16, width=8, max_width=16)
    G(torch.randn(32, 16))
    G.eval()
    out = G(torch.randn(3, 16), truncation_psi=0.0)
    torch.testing.assert_close(out, out[:1].expand(3, -1, -1, -1), rtol=1e-5, atol=1e-6)


def test_stylegan_digits_preset_trains_a_step(tmp_path):
    """One step of the stylegan-digits preset through the trainer (D, lazy R1, G; no path length)."""
    cfg = load_config(
        "stylegan-digits",
        ["data.resolution=8", "generator.width=8", "generator.max_width=8", "discriminator.width=8"],
    )
    trainer = Trainer(cfg, tmp_path, log=lambda *a: None)
    assert [p.name for p in trainer.game.phases] == ["D", "D_r1", "G"]
    before = [p.clone() for p in trainer.G.parameters()]
    trainer.run_step()
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.G.parameters(), strict=True))
