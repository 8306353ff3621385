import pytest

from gankit.config import load_config
from gankit.train.loop import Trainer, prepare_run_dir

TINY = [
    "data.resolution=16",
    "generator.width=8",
    "generator.z_dim=16",
    "discriminator.width=8",
    "train.batch_size=16",
    "train.tick_kimg=0.032",
    "train.snapshot_ticks=2",
    "train.total_kimg=0.128",
    "train.bn_recalibration_batches=2",
]


@pytest.fixture
def tiny_cfg():
    """A config small enough to train a few steps in well under a second."""

    def make(*overrides: str):
        return load_config("dcgan-digits", [*TINY, *overrides])

    return make


# A StyleGAN generator small enough to train a few steps in a second, and the rest of a tiny StyleGAN2 run.
TINY_STYLE_G = [
    "generator.z_dim=16",
    "generator.w_dim=16",
    "generator.mapping_layers=2",
    "generator.width=8",
    "generator.max_width=8",
]
TINY_SG2_TRAIN = [
    "discriminator.width=8",
    "discriminator.max_width=8",
    "train.batch_size=8",
    "train.tick_kimg=0.032",
    "train.snapshot_ticks=2",
    "train.total_kimg=0.064",
    "loss.r1_interval=3",
    "loss.pl_interval=2",
]
TOY_TINY = [
    "data.max_images=2048",
    "generator.z_dim=8",
    "generator.width=16",
    "discriminator.width=16",
    "train.batch_size=64",
    "train.tick_kimg=0.128",
    "train.snapshot_ticks=2",
    "train.total_kimg=0.512",
]


@pytest.fixture
def toy_cfg():
    """A point-data config (VEEGAN protocol, tiny networks) that trains a few steps in well under a second."""

    def make(*overrides: str, preset: str = "toy-veegan"):
        return load_config(preset, [*TOY_TINY, *overrides])

    return make


def train_run(cfg, run_dir, resume=None):
    """Train `cfg` into `run_dir` silently (after loading the checkpoint `resume`, if given); return the trainer."""
    trainer = Trainer(cfg, run_dir, log=lambda *a: None)
    prepare_run_dir(run_dir, cfg)
    if resume is not None:
        trainer.load(resume)
    trainer.train()
    return trainer


@pytest.fixture(autouse=True)
def stats_cache_in_tmp(tmp_path_factory, monkeypatch):
    """Keep the statistics cache of `gankit eval` out of the user's ~/.cache during tests."""
    from gankit.metrics import stats_file

    folder = tmp_path_factory.mktemp("stats-cache")
    monkeypatch.setattr(stats_file, "default_cache_dir", lambda: folder)
    return folder
