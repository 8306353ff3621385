import pytest
import torch
from click.testing import CliRunner
from PIL import Image

import gankit
from gankit.cli import main
from gankit.config import load_config
from gankit.errors import ConfigError
from gankit.games.progressive import GrowthSchedule
from gankit.nn.resize import downsample_box, fade_in_detail, upsample_nearest
from gankit.train import checkpoint as ckpt
from gankit.train.loop import Trainer
from tests.conftest import train_run

# 16x16 digits: 4x4 for 64 images (batch 16), 8x8 fades in over 64 images (batch 8), stabilizes for 64, then 16x16.
TINY_PG = [
    "data.resolution=16",
    "generator.z_dim=16",
    "generator.width=8",
    "generator.max_width=16",
    "discriminator.width=8",
    "discriminator.max_width=16",
    "train.progressive.fade_kimg=0.064",
    "train.progressive.stabilize_kimg=0.064",
    "train.progressive.batch_sizes={4: 16, 8: 8, 16: 8}",
    "train.tick_kimg=0.032",
    "train.snapshot_ticks=2",
    "train.total_kimg=0.128",
]


def _cfg(*overrides: str):
    return load_config("pggan-digits", [*TINY_PG, *overrides])


def _state(trainer):
    nets = {"G": trainer.G, "D": trainer.D, "G_ema": trainer.ema.G_ema}
    return {f"{n}.{k}": v.clone() for n, net in nets.items() for k, v in net.state_dict().items()}


def test_schedule_gives_stage_alpha_and_batch_at_the_boundaries():
    """4x4 stabilizes, then each resolution fades in linearly and stabilizes; the last one stays."""
    growth = GrowthSchedule.from_config(_cfg())
    assert growth.batch_sizes == (16, 8, 8)
    assert growth.at(0) == (0, 1.0) and growth.at(63) == (0, 1.0)
    assert growth.at(64) == (1, 0.0) and growth.at(80) == (1, 0.25) and growth.at(127) == (1, 63 / 64)
    assert growth.at(128) == (1, 1.0) and growth.at(191) == (1, 1.0)
    assert growth.at(192) == (2, 0.0) and growth.at(224) == (2, 0.5)
    assert growth.at(256) == (2, 1.0) and growth.at(10**9) == (2, 1.0)


def test_schedule_without_fade_switches_at_once():
    """fade_kimg=0 grows by plain switching (alpha 1 from a stage's first image)."""
    growth = GrowthSchedule.from_config(_cfg("train.progressive.fade_kimg=0"))
    assert growth.at(63) == (0, 1.0) and growth.at(64) == (1, 1.0) and growth.at(128) == (2, 1.0)


def test_d_sees_reals_at_the_current_resolution_mid_fade(tmp_path):
    """The D phase converts the dataset-resolution batch to the stage's resolution and alpha before scoring."""
    trainer = Trainer(_cfg(), tmp_path, log=lambda *a: None)
    trainer.nimg = 96  # 8x8, alpha 0.5
    trainer.apply_schedule()
    assert (trainer.G.stage, trainer.D.alpha, trainer.ema.G_ema.alpha, trainer.stream.batch_size) == (1, 0.5, 0.5, 8)
    real_img, _ = trainer.stream.next()
    trainer.ctx.real_img = real_img
    d_phase = next(p for p in trainer.game.phases if p.draws_reals)
    d_phase.run(trainer.ctx)
    expected = fade_in_detail(downsample_box(real_img, 8), 0.5)
    torch.testing.assert_close(trainer.ctx.real_img, expected, rtol=0, atol=0)


def test_resume_mid_fade_equals_uninterrupted_run_bit_for_bit(tmp_path):
    """Stopped mid-fade (8x8 at alpha 0.5) and resumed, the run equals one uninterrupted run through 16x16's fade."""
    full = train_run(_cfg("train.total_kimg=0.224"), tmp_path / "full")
    half = train_run(_cfg("train.total_kimg=0.096"), tmp_path / "resumed")
    assert (half.G.stage, half.G.alpha) == (1, 0.375)  # set at the start of the last step, at 88 images
    resumed = train_run(_cfg("train.total_kimg=0.224"), tmp_path / "resumed", ckpt.resolve_checkpoint(half.run_dir))
    assert resumed.nimg == full.nimg == 224 and (full.G.stage, full.G.alpha) == (2, 0.375)
    assert resumed.step == full.step and resumed.stream.state_dict() == full.stream.state_dict()
    a, b = _state(full), _state(resumed)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f"{key} differs"
    for k in ("G", "D"):
        s_full, s_res = full.optimizers[k].state_dict()["state"], resumed.optimizers[k].state_dict()["state"]
        assert s_full.keys() == s_res.keys()
        for i in s_full:
            assert torch.equal(s_full[i]["exp_avg"], s_res[i]["exp_avg"])


@pytest.mark.parametrize(
    "overrides, match",
    [
        (["train.progressive.fade_kimg=-1"], "train.progressive.fade_kimg"),
        (["train.progressive.fade_kimg=0", "train.progressive.stabilize_kimg=0"], "are both 0"),
        (["train.progressive.batch_sizes={12: 16}"], r"train.progressive.batch_sizes has the key 12"),
        (["train.progressive.batch_sizes={32: 16}"], r"batch_sizes names resolution 32, above data.resolution=16"),
        (["train.progressive.batch_sizes={8: 0}"], r"train.progressive.batch_sizes\[8\]=0"),
        (["train.game=unconditional"], "train.progressive applies only to train.game='progressive'"),
    ],
)
def test_bad_schedules_name_the_key(overrides, match):
    """A bad growth schedule fails at config validation, naming the key."""
    with pytest.raises(ConfigError, match=match):
        _cfg(*overrides)


@pytest.mark.parametrize(
    "overrides, match",
    [
        (["train.progressive.batch_sizes={4: 16, 8: 10}"], r"train.progressive.batch_sizes\[8\]=10 is not a multiple"),
        (["train.progressive.batch_sizes={16: 5000}"], r"train.progressive.batch_sizes\[16\]=5000 exceeds the dataset"),
        (["generator={name: dcgan, z_dim: 16}"], "needs networks that grow, got generator.name='dcgan'"),
    ],
)
def test_bad_growth_setups_fail_before_step_one(overrides, match, tmp_path):
    """Batch sizes of later stages and non-growing networks are checked when the trainer is built."""
    with pytest.raises(ConfigError, match=match):
        Trainer(_cfg(*overrides), tmp_path, log=lambda *a: None)


def test_preset_trains_one_tick_through_the_cli_and_samples_at_full_resolution(tmp_path):
    """pggan-digits trains through the CLI; a run stopped at 8x8 samples 32x32 images and says it upsampled."""
    run = tmp_path / "run"
    sets = ["train.total_kimg=0.096", "train.tick_kimg=0.096", "train.progressive.stabilize_kimg=0.032"]
    sets += ["train.progressive.fade_kimg=0.064"]  # three steps of 32: 4x4, then 8x8 at alpha 0 and 0.5
    args = ["train", "--preset", "pggan-digits", "--out", str(run)] + [a for s in sets for a in ("--set", s)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    tick = next(line for line in result.output.splitlines() if line.startswith("tick 1"))
    assert "res 8    alpha 0.500" in tick  # as of the last step, which started at 64 images
    assert "growth:   4x4 from kimg 0 (batch 32), 8x8 fades in at kimg 0.032 (batch 32)" in result.output

    # Sample through the API and the CLI: 32x32 images from G's 8x8 ones, with a note.
    samples = gankit.load_run(run).sample(5, seed=1)
    assert samples.shape == (5, 1, 32, 32)
    torch.testing.assert_close(samples, upsample_nearest(downsample_box(samples, 8), 32), rtol=0, atol=1e-6)
    out = tmp_path / "grid.png"
    result = CliRunner().invoke(main, ["sample", "--run", str(run), "-n", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "note: G was still growing at this checkpoint: at 8x8, fading in (alpha 0.500)" in result.output
    assert "its 8x8 images are upsampled to 32x32" in result.output and min(Image.open(out).size) >= 2 * 32
    scored = CliRunner().invoke(main, ["eval", "--run", str(run), "--num-samples", "16", "--log", str(tmp_path / "m")])
    assert scored.exit_code == 0 and "note: " in scored.output and "upsampled to 32x32" in scored.output  # eval too


def test_paper_scale_preset_dry_run(tmp_path):
    """pggan-celebahq-1024 validates and builds its 1024x1024 networks and growth schedule (dry run, no training)."""
    images = tmp_path / "faces"
    images.mkdir()
    for i in range(4):
        Image.new("RGB", (1024, 1024), (40 * i, 90, 160)).save(images / f"{i}.png")
    run = tmp_path / "dry"
    args = ["train", "--preset", "pggan-celebahq-1024", "--out", str(run), "--dry-run", "--set", f"data.path={images}"]
    args += ["--set", "train.batch_size=4", "--set", "train.progressive.batch_sizes={}"]  # 4 images only
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "1024x1024 fades in at kimg 12000" in result.output and "dry run" in result.output
    assert "G: 23," in result.output and not run.exists()
