import json

import pytest
import torch
import yaml
from click.testing import CliRunner

from gankit.cli import main
from gankit.run import Run
from tests.conftest import TINY


def _train(out, *extra):
    sets = [arg for kv in (*TINY, "data.conditional=true", *extra) for arg in ("--set", kv)]
    return CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(out), *sets])


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cond") / "run"
    result = _train(out)
    assert result.exit_code == 0, result.output
    return out


def test_class_count_comes_from_the_dataset_and_is_saved(conditional_run):
    """data.num_classes is filled from the digits (10) and written to config.yaml, so the run reloads."""
    cfg = yaml.safe_load((conditional_run / "config.yaml").read_text())
    assert cfg["data"]["conditional"] is True and cfg["data"]["num_classes"] == 10
    assert Run.load(conditional_run).num_classes == 10


def test_sample_one_class_and_every_class(conditional_run, tmp_path):
    """--class K draws K only; without it the classes come in turn, and out-of-range labels are refused."""
    run = Run.load(conditional_run)
    assert torch.equal(run.labels(12), torch.arange(12) % 10)
    three = run.sample(4, seed=1, label=3)
    assert not torch.equal(three, run.sample(4, seed=1, label=4))  # the label reaches G
    ok = CliRunner().invoke(
        main, ["sample", "--run", str(conditional_run), "--class", "3", "--out", str(tmp_path / "a.png")]
    )
    assert ok.exit_code == 0, ok.output
    bad = CliRunner().invoke(
        main, ["sample", "--run", str(conditional_run), "--class", "10", "--out", str(tmp_path / "b.png")]
    )
    assert bad.exit_code == 2 and "--class 10 is out of range; this run has classes 0..9" in bad.output
    vector = CliRunner().invoke(
        main, ["sample", "--run", str(conditional_run), "--label", "1,0", "--out", str(tmp_path / "c.png")]
    )
    assert vector.exit_code == 2 and "--label [1.0, 0.0]: this run is class-conditional (10 classes)" in vector.output


def test_eval_of_a_conditional_run(conditional_run):
    result = CliRunner().invoke(main, ["eval", "--run", str(conditional_run), "--num-samples", "32"])
    assert result.exit_code == 0, result.output
    assert "fid" in result.output and "classified as the requested class:" in result.output


def test_family_without_labels_and_wrong_class_count_are_clear_errors(tmp_path):
    """A network family that takes no labels, or a class count that contradicts the data, fails before step one."""
    result = CliRunner().invoke(
        main,
        ["train", "--preset", "stylegan2-digits", "--out", str(tmp_path / "r"), "--dry-run"]
        + ["--set", "data.conditional=true"],
    )
    assert result.exit_code == 2, result.output
    assert "with class labels, but generator.name='stylegan2' takes none; families that do:" in result.output
    result = _train(tmp_path / "k", "data.num_classes=5")
    assert result.exit_code == 2 and "data.num_classes=5, but digits (train split) has 10 classes" in result.output


def test_unconditional_run_refuses_a_class(tmp_path):
    out = tmp_path / "u"
    sets = [arg for kv in TINY for arg in ("--set", kv)]
    assert CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(out), *sets]).exit_code == 0
    bad = CliRunner().invoke(main, ["sample", "--run", str(out), "--class", "1", "--out", str(tmp_path / "g.png")])
    assert bad.exit_code == 2 and "not class-conditional" in bad.output


def test_stacked_digits_train_and_mode_count(tmp_path):
    """A stacked-digits run trains and `gankit eval --metrics modes` reports modes and KL (VEEGAN protocol)."""
    out = tmp_path / "stacked"
    sets = [arg for kv in (*TINY, "data.max_images=256") for arg in ("--set", kv)]
    result = CliRunner().invoke(main, ["train", "--preset", "dcgan-stacked-digits", "--out", str(out), *sets])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["eval", "--run", str(out), "--metrics", "modes", "--num-samples", "500"])
    assert result.exit_code == 0, result.output
    assert "of 1000 modes, KL to uniform" in result.output
    bad = CliRunner().invoke(main, ["eval", "--run", str(out), "--metrics", "fid"])
    assert bad.exit_code == 2 and "measured with --metrics modes" in bad.output


def test_acgan_trains_and_logs_its_class_losses(tmp_path):
    """AC-GAN (discriminator.conditioning=acgan) logs loss_d_aux and loss_g_aux in every tick record."""
    result = _train(tmp_path / "ac", "discriminator.conditioning=acgan")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "ac" / "log.jsonl").read_text().splitlines()]
    assert all(r["loss_d_aux"] > 0 and r["loss_g_aux"] > 0 for r in records)


def test_biggan_trains_one_tick_and_samples_with_resampling_truncation(tmp_path):
    """The BigGAN preset runs through the trainer (orthogonal regularization logged) and truncates by resampling."""
    out = tmp_path / "big"
    sets = ["generator.width=16", "generator.z_dim=12", "generator.embed_dim=4", "discriminator.width=16"]
    sets += ["train.total_kimg=0.064", "train.tick_kimg=0.032", "train.batch_size=16"]
    sets += ["train.bn_recalibration_batches=1"]
    args = ["train", "--preset", "biggan-digits", "--out", str(out), *[a for s in sets for a in ("--set", s)]]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert records[-1]["loss_g_ortho"] > 0
    run = Run.load(out)
    z = run.latents(500, seed=0, truncation=0.5)
    assert z.abs().max() <= 1.0 and z.std() > 0.4  # redrawn beyond 2 * psi, not scaled down
    res = run.cfg.data.resolution
    assert run.sample(4, seed=0, truncation=0.5, label=2).shape == (4, 1, res, res)


def test_sngan_projection_trains_on_classes_and_samples_the_class_asked_for(tmp_path):
    """The ResNet G takes classes through conditional BN (SNGAN-projection), so `gankit sample --class` works."""
    out = tmp_path / "sn"
    sets = ["data.conditional=true", "data.resolution=16", "generator.width=16", "discriminator.width=16"]
    sets += ["train.total_kimg=0.064", "train.tick_kimg=0.032", "train.batch_size=16"]
    args = ["train", "--preset", "sngan-digits", "--out", str(out), *[a for s in sets for a in ("--set", s)]]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    run = Run.load(out)
    assert run.num_classes == 10
    assert not torch.equal(run.sample(4, seed=0, label=2), run.sample(4, seed=0, label=7))
    grid = tmp_path / "three.png"
    ok = CliRunner().invoke(main, ["sample", "--run", str(out), "--class", "3", "-n", "4", "--out", str(grid)])
    assert ok.exit_code == 0 and grid.exists(), ok.output
