import pytest
import torch

from gankit.config import load_config, validate
from gankit.errors import ConfigError
from gankit.losses.adversarial import build_loss
from gankit.losses.penalties import gradient_penalty, r1_penalty
from gankit.models.dcgan import DCGANDiscriminator
from gankit.models.multiscale import MultiScaleDiscriminator, downsample
from gankit.nets import build_networks
from tests.conftest import train_run


def _ms(scales=3, resolution=32, **base):
    torch.manual_seed(0)
    return MultiScaleDiscriminator(resolution, 1, scales=scales, base={"name": "dcgan", "width": 8, **base})


def test_each_head_judges_the_image_at_its_own_scale():
    """Head s sees the input average-pooled s times, as a standalone D of that resolution would."""
    D = _ms(norm="none").eval()
    img = torch.randn(5, 1, 32, 32)
    logits = D(img)
    assert logits.shape == (5, 3)
    for s, head in enumerate(D.heads):
        assert head.resolution == 32 // 2**s
        x = img
        for _ in range(s):
            x = downsample(x)
        torch.testing.assert_close(logits[:, s], head(x), rtol=0, atol=0)


def test_downsample_halves_and_keeps_a_constant_image():
    """Border windows average valid pixels only, so a constant image stays constant at every scale."""
    x = torch.full((2, 3, 16, 16), 0.7)
    y = downsample(x)
    assert y.shape == (2, 3, 8, 8)
    torch.testing.assert_close(y, torch.full_like(y, 0.7))


@pytest.mark.parametrize("loss", ["hinge", "non-saturating", "ragan", "lsgan", "wgan"])
def test_losses_are_summed_over_heads(loss):
    """A multi-scale D is several discriminators: its loss is the sum of each head's loss on its own logits."""
    fn = build_loss(validate({"loss": {"name": loss}}).loss)
    real, fake = torch.randn(6, 3), torch.randn(6, 3)
    expected_d = sum(fn.d(real[:, s], fake[:, s]) for s in range(3))
    expected_g = sum(fn.g(fake[:, s], real[:, s] if fn.g_uses_reals else None) for s in range(3))
    torch.testing.assert_close(fn.d(real, fake), expected_d)
    torch.testing.assert_close(fn.g(fake, real if fn.g_uses_reals else None), expected_g)


def test_r1_and_gp_are_per_head_and_summed():
    """Each head gets its own gradient penalty (not one of the heads' sum), and the penalties add up."""
    D = _ms(scales=2, resolution=16, norm="none")
    img = torch.randn(4, 1, 16, 16, requires_grad=True)
    r1 = r1_penalty(img, D(img))
    direct = 0
    for s in range(2):
        (g,) = torch.autograd.grad(D(img)[:, s].sum(), img)
        direct = direct + g.flatten(1).square().sum(1).mean()
    torch.testing.assert_close(r1, direct)

    fake = torch.randn(4, 1, 16, 16)
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731 -- the same interpolation factors each time
    per_head = [gradient_penalty(lambda x, s=s: D(x)[:, s], img, fake, gen()) for s in range(2)]
    torch.testing.assert_close(gradient_penalty(D, img, fake, gen()), per_head[0] + per_head[1])


def test_conditional_heads_each_see_the_labels():
    """With projection conditioning every head scores (image, label); changing the label changes every head."""
    D = MultiScaleDiscriminator(16, 1, scales=2, base={"name": "dcgan", "width": 8}, num_classes=10)
    for head in D.heads:
        torch.nn.init.normal_(head.embed.weight)
    img = torch.randn(3, 1, 16, 16)
    a, b = D(img, torch.tensor([0, 1, 2])), D(img, torch.tensor([5, 6, 7]))
    assert a.shape == (3, 2)
    assert (a - b).abs().min() > 0


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"discriminator.base: widht=3: Extra inputs"):
        validate({"discriminator": {"name": "multiscale", "base": {"name": "dcgan", "widht": 3}}})
    with pytest.raises(ConfigError, match=r"scale 2 is 4x4, .* use fewer scales"):
        build_networks(validate({"data": {"resolution": 16}, "discriminator": {"name": "multiscale", "scales": 3}}))
    with pytest.raises(ConfigError, match=r"conditioning='acgan' needs one class head.* use 'projection' or 'concat'"):
        MultiScaleDiscriminator(16, 1, scales=2, base={"name": "dcgan", "conditioning": "acgan"}, num_classes=10)
    with pytest.raises(ConfigError, match=r"discriminator.base cannot itself be 'multiscale'"):
        validate({"discriminator": {"name": "multiscale", "base": {"name": "multiscale"}}})


def test_multiscale_preset_trains_a_tick(tmp_path):
    """The preset trains end to end: every penalty, loss and log line takes the [M, S] logits."""
    cfg = load_config(
        "dcgan-digits-multiscale",
        [
            "generator.width=8",
            "discriminator.base.width=8",
            "train.batch_size=8",
            "train.tick_kimg=0.016",
            "train.snapshot_ticks=1",
            "train.total_kimg=0.032",
            "train.bn_recalibration_batches=1",
            "loss.r1_interval=1",
        ],
    )
    trainer = train_run(cfg, tmp_path / "run")
    assert trainer.nimg >= 32
    assert (tmp_path / "run" / "checkpoints" / "latest.json").exists()


def test_pacgan_packs_consecutive_distinct_samples_in_the_dcgan_discriminator():
    """Logit i depends on samples i*m .. i*m+m-1 only, so D judges m distinct samples at once."""
    D = DCGANDiscriminator(16, 1, width=8, norm="none", pack=3)
    img = torch.randn(6, 1, 16, 16, requires_grad=True)
    logits = D(img)
    assert logits.shape == (2,)
    (grad,) = torch.autograd.grad(logits[0], img)
    touched = grad.flatten(1).abs().sum(1) > 0
    assert touched.tolist() == [True, True, True, False, False, False]


def test_pacgan_batch_must_split_into_packs():
    with pytest.raises(ConfigError, match=r"pack=3 needs train.batch_size to be a multiple of it, got 32"):
        validate({"train": {"batch_size": 32}, "discriminator": {"name": "dcgan", "pack": 3}})
    with pytest.raises(ConfigError, match=r"pack=2 with data.conditional"):
        DCGANDiscriminator(16, 1, pack=2, num_classes=10)
