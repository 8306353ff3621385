import pytest

from gankit.config import load_config
from tests.conftest import train_run

# The 32x32 presets of the post-DCGAN families, each shrunk to a few steps: (preset, width overrides).
FAMILY_PRESETS = {
    "sagan-digits": ["generator.width=8", "discriminator.width=8"],
    "sngan-digits": ["generator.width=8", "discriminator.width=8"],
    "sngan-projection-digits": ["generator.width=8", "discriminator.width=8"],
    "biggan-digits": ["generator.width=8", "generator.embed_dim=4", "discriminator.width=8"],
    "cgan-concat-digits": ["generator.width=8", "discriminator.width=8"],
    "acgan-digits": ["generator.width=8", "discriminator.width=8"],
    "cgan-projection-digits": ["generator.width=8", "discriminator.width=8"],
    "dcgan-digits-multiscale": ["generator.width=8", "discriminator.base.width=8"],
    "dcgan-stacked-digits": ["generator.width=8", "discriminator.width=8", "data.max_images=64"],
}
SHORT = ["train.batch_size=8", "train.tick_kimg=0.016", "train.snapshot_ticks=1", "train.total_kimg=0.016"]
SHORT += ["train.bn_recalibration_batches=1"]


@pytest.mark.parametrize("preset", sorted(FAMILY_PRESETS))
def test_family_preset_trains_a_tick_at_32px(preset, tmp_path):
    """Each family preset is 32x32 and runs through the ordinary trainer (phases, logging, checkpoint)."""
    cfg = load_config(preset, [*FAMILY_PRESETS[preset], *SHORT])
    assert cfg.data.resolution == 32
    trainer = train_run(cfg, tmp_path / "run")
    assert trainer.nimg >= 16
    assert (tmp_path / "run" / "checkpoints" / "latest.json").exists()


def test_sagan_preset_follows_the_paper():
    """SAGAN: attention in both networks, spectral norm in G and D, TTUR 1e-4 / 4e-4 (Zhang et al. 2019)."""
    cfg = load_config("sagan-digits")
    assert cfg.generator.attention_resolution and cfg.discriminator.attention_resolution
    assert cfg.generator.spectral_norm and cfg.discriminator.spectral_norm
    assert (cfg.train.lr_g, cfg.train.lr_d) == (1e-4, 4e-4) and cfg.loss.name == "hinge"


def test_pacgan_stacked_override_is_valid():
    """PacDCGAN2 on stacked digits is one override of the stacked preset."""
    cfg = load_config("dcgan-stacked-digits", ["discriminator.pack=2"])
    assert cfg.discriminator.pack == 2 and cfg.train.batch_size % 2 == 0
