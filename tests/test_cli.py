import json

import pytest
from click.testing import CliRunner

from gankit.cli import main
from tests.conftest import TINY


def _sets(*extra):
    return [arg for kv in (*TINY, *extra) for arg in ("--set", kv)]


@pytest.fixture
def trained(tmp_path):
    run = tmp_path / "run"
    result = CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(run), *_sets()])
    assert result.exit_code == 0, result.output
    return run, result.output


def test_train_writes_run_folder_and_logs_ticks(trained):
    run, output = trained
    assert "dataset:  digits (train split): 1347 images, 1x16x16, 10 classes" in output
    assert "G: " in output and "D: " in output
    tick_lines = [line for line in output.splitlines() if line.startswith("tick ")]
    assert len(tick_lines) == 4 and "D(G(z))" in tick_lines[0] and "sec/kimg" in tick_lines[0]
    assert (run / "samples" / "reals.png").is_file()
    assert (run / "checkpoints" / "latest.json").is_file()
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["tick"] for r in records] == [1, 2, 3, 4] and records[-1]["kimg"] == pytest.approx(0.128)


def test_sample_and_eval(trained, tmp_path):
    run, _ = trained
    out = tmp_path / "grid.png"
    result = CliRunner().invoke(main, ["sample", "--run", str(run), "-n", "16", "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    result = CliRunner().invoke(main, ["eval", "--run", str(run), "--metrics", "fid", "--num-samples", "64"])
    assert result.exit_code == 0, result.output
    assert "fid64_digits" in result.output and "reference" in result.output
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    fid = next(r for r in records if r["metric"] == "fid")
    assert fid["feature_net"] == "digits-cnn" and fid["num_gen"] == 64 and fid["snapshot"] == "ckpt-0000000128"
    assert fid["value"] > 0 and fid["reference"] > 0


def test_existing_run_needs_resume_flag_and_resume_continues(trained):
    run, _ = trained
    result = CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(run), *_sets()])
    assert result.exit_code == 2 and "--resume auto" in result.output
    more = _sets("train.total_kimg=0.192")
    result = CliRunner().invoke(
        main, ["train", "--preset", "dcgan-digits", "--out", str(run), "--resume", "auto", *more]
    )
    assert result.exit_code == 0, result.output
    assert "resumed from" in result.output and "kimg 0.1" in result.output
    assert (run / "checkpoints" / "ckpt-0000000192").is_dir()


def test_bad_key_fails_before_training_without_traceback(tmp_path):
    run = tmp_path / "never"
    result = CliRunner().invoke(
        main, ["train", "--preset", "dcgan-digits", "--out", str(run), "--set", "train.lr_gg=1"]
    )
    assert result.exit_code == 2
    assert "unknown config key 'train.lr_gg'; did you mean 'train.lr_g'" in result.output
    assert "Traceback" not in result.output and not run.exists()


def test_dry_run_writes_nothing(tmp_path):
    run = tmp_path / "dry"
    result = CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(run), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "train.batch_size=32" in result.output and "dry run" in result.output and not run.exists()


def test_presets_and_help():
    result = CliRunner().invoke(main, ["presets"])
    assert result.exit_code == 0 and "dcgan-digits" in result.output
    for cmd in (["--help"], ["train", "--help"], ["sample", "--help"], ["eval", "--help"]):
        assert CliRunner().invoke(main, cmd).exit_code == 0


def test_sample_from_missing_run_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["sample", "--run", str(tmp_path / "nope"), "--out", str(tmp_path / "g.png")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_train_on_an_image_folder_and_report_a_bad_file(tmp_path):
    """A user's folder trains end to end; a broken file stops the run before step one, naming the file."""
    import numpy as np
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(20):
        Image.fromarray(rng.integers(0, 255, (24, 20, 3), dtype=np.uint8)).save(folder / f"{i:02d}.png")
    sets = _sets("data.source=folder", f"data.path={folder}", "data.channels=3", "train.batch_size=8")
    result = CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(tmp_path / "run"), *sets])
    assert result.exit_code == 0, result.output
    assert "20 images, 3x16x16, no labels" in result.output
    (folder / "05.png").write_bytes((folder / "05.png").read_bytes()[:50])
    result = CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(tmp_path / "run2"), *sets])
    assert result.exit_code == 2 and "05.png" in result.output and "tick" not in result.output


def test_resume_with_a_different_model_is_refused_before_writing(trained):
    """Regression: a resume whose config no longer fits the checkpoint overwrote config.yaml, then crashed."""
    run, _ = trained
    before = (run / "config.yaml").read_text()
    args = ["train", "--preset", "dcgan-digits", "--out", str(run), "--resume", "auto", *_sets("generator.width=16")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "generator.width: checkpoint 8, now 16" in result.output and "Traceback" not in result.output
    assert (run / "config.yaml").read_text() == before


def test_resume_auto_falls_back_to_previous_good_checkpoint(trained):
    """A truncated newest checkpoint is reported and the previous one is used instead."""
    run, _ = trained
    state = run / "checkpoints" / "ckpt-0000000128" / "state.pt"
    state.write_bytes(state.read_bytes()[:100])
    more = _sets("train.total_kimg=0.192")
    result = CliRunner().invoke(
        main, ["train", "--preset", "dcgan-digits", "--out", str(run), "--resume", "auto", *more]
    )
    assert result.exit_code == 0, result.output
    assert "falling back to" in result.output and "resumed from" in result.output and "ckpt-0000000064" in result.output
    ticks = [json.loads(line)["tick"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert ticks == [1, 2, 3, 4, 5, 6]  # ticks 3-4 of the lost checkpoint were logged again, not duplicated


def test_resume_path_must_exist(tmp_path):
    args = ["train", "--preset", "dcgan-digits", "--out", str(tmp_path / "r"), "--resume", str(tmp_path / "nope")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "does not exist" in result.output


def test_sngan_preset_trains_one_tick(tmp_path):
    """The ResNet families run through the normal trainer, not only in unit tests."""
    out = tmp_path / "run"
    sets = ["generator.width=16", "discriminator.width=16", "train.total_kimg=0.064", "train.tick_kimg=0.032"]
    sets += ["train.batch_size=16", "train.bn_recalibration_batches=1"]
    args = ["train", "--preset", "sngan-digits", "--out", str(out), *[a for s in sets for a in ("--set", s)]]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (out / "checkpoints" / "latest.json").exists()
