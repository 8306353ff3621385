import json

import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from gankit.cli import main
from gankit.config import load_config
from gankit.train import checkpoint as ckpt
from tests.conftest import train_run

# One tick of 16 images at batch 8 (two steps; the first D step also runs lazy R1).
SHORT = ["train.batch_size=8", "train.tick_kimg=0.016", "train.snapshot_ticks=1", "train.total_kimg=0.016"]
SHORT += ["generator.channel_max=8", "discriminator.width=8", "discriminator.max_width=16", "metrics.names=[]"]


@pytest.mark.parametrize("preset", ["stylegan3-t-digits", "stylegan3-r-digits"])
def test_digits_preset_trains_a_tick_through_the_cli(preset, tmp_path):
    """`gankit train --preset stylegan3-{t,r}-digits` runs at 32 px with the StyleGAN2 game and writes a checkpoint."""
    cfg = load_config(preset)
    assert cfg.data.resolution == 32 and cfg.generator.name == "stylegan3" and cfg.train.game == "stylegan2"
    assert cfg.generator.config == preset.split("-")[1]
    run = tmp_path / "run"
    args = ["train", "--preset", preset, "--out", str(run)]
    for override in SHORT:
        args += ["--set", override]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert log[-1]["kimg"] >= 0.016 and "loss_g" in log[-1]
    assert (run / "checkpoints" / "latest.json").exists()


@pytest.mark.parametrize("preset", ["stylegan3-t-ffhq1024", "stylegan3-r-ffhq1024"])
def test_paper_scale_preset_dry_run(preset, tmp_path):
    """stylegan3-{t,r}-ffhq1024 validate and build their 1024 px networks (--dry-run, no training)."""
    images = tmp_path / "faces"
    images.mkdir()
    for i in range(4):
        Image.new("RGB", (1024, 1024), (40 * i, 90, 160)).save(images / f"{i}.png")
    run = tmp_path / "dry"
    args = ["train", "--preset", preset, "--out", str(run), "--dry-run", "--set", f"data.path={images}"]
    args += ["--set", "train.batch_size=4"]  # the preset's 32 exceeds these 4 images
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "G: " in result.output and "game:     D -> D_r1 every 16 -> G" in result.output
    assert "dry run" in result.output and not run.exists()


@pytest.mark.slow
def test_resume_equals_uninterrupted_run_bit_for_bit(tmp_path):
    """StyleGAN3's extra state (each layer's magnitude_ema, the Fourier input's frequencies, phases and
    transform) travels in G's checkpoint, so N steps + resume + N steps equals 2N steps exactly."""
    tiny = [*SHORT, "generator.num_layers=3", "generator.margin_size=2", "train.total_kimg=0.032"]
    tiny += ["train.snapshot_ticks=2", "loss.r1_interval=3", "generator.mixing_prob=0.5"]
    full = train_run(load_config("stylegan3-r-digits", tiny), tmp_path / "full")
    half = [*tiny, "train.total_kimg=0.016"]
    train_run(load_config("stylegan3-r-digits", half), tmp_path / "resumed")
    resumed = train_run(
        load_config("stylegan3-r-digits", tiny), tmp_path / "resumed", ckpt.resolve_checkpoint(tmp_path / "resumed")
    )
    assert resumed.step == full.step and resumed.nimg == full.nimg == 32
    for name in ("G", "D"):
        a, b = getattr(full, name).state_dict(), getattr(resumed, name).state_dict()
        assert a.keys() == b.keys()
        for k in a:
            assert torch.equal(a[k], b[k]), f"{name}.{k} differs"
    assert "synthesis.layers.0.magnitude_ema" in full.G.state_dict()


@pytest.fixture(scope="module")
def sg3_run(tmp_path_factory):
    """One tick of the stylegan3-t-digits preset, shrunk."""
    run = tmp_path_factory.mktemp("sg3") / "run"
    args = ["train", "--preset", "stylegan3-t-digits", "--out", str(run)]
    for override in SHORT:
        args += ["--set", override]
    assert CliRunner().invoke(main, args).exit_code == 0
    return run


def test_gankit_eval_reports_equivariance_of_a_stylegan3_run(sg3_run):
    """`gankit eval --metrics eqt,eqt_frac,eqr` measures a StyleGAN3 run in dB and appends named records."""
    run = sg3_run
    metrics = ["--metrics", "eqt,eqt_frac,eqr", "--num-samples", "8"]
    result = CliRunner().invoke(main, ["eval", "--run", str(run), *metrics])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["name"] for r in records] == ["eqt8_psnr", "eqt_frac8_psnr", "eqr8_psnr"]
    assert all(10 < r["value"] < 200 and r["num_gen"] == 8 for r in records)
    assert " dB" in result.output and all(r["settings"]["batch_size"] == 64 for r in records)  # --batch default


def test_equivariance_of_a_generator_without_a_movable_input_is_refused(tmp_path):
    """EQ-R needs a StyleGAN3 run and EQ-T a StyleGAN2 or 3 run; others fail before any work, naming the run."""
    from tests.conftest import TINY

    run = tmp_path / "dc"
    args = ["train", "--preset", "dcgan-digits", "--out", str(run)] + [a for kv in TINY for a in ("--set", kv)]
    assert CliRunner().invoke(main, args).exit_code == 0
    result = CliRunner().invoke(main, ["eval", "--run", str(run), "--metrics", "eqt"])
    assert result.exit_code == 2
    assert "--metrics eqt needs a run of generator stylegan2 or stylegan3" in result.output
    assert "is a run of generator 'dcgan'" in result.output


def test_noise_option_on_stylegan3_is_refused(sg3_run, tmp_path):
    """StyleGAN3 has no noise inputs, so --noise would be silently ignored; it is an error naming the reason."""
    args = ["sample", "--run", str(sg3_run), "--noise", "random", "--out", str(tmp_path / "x.png")]
    bad = CliRunner().invoke(main, args)
    assert bad.exit_code == 2 and "has no noise inputs (StyleGAN3 removed them)" in bad.output
