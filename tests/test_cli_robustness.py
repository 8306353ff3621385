"""Bad input found by a new-user review: each case fails cleanly (exit 2, one line) or does the right thing."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from gankit.cli import main
from tests.conftest import TINY


def _sets(*extra):
    return [arg for kv in (*TINY, *extra) for arg in ("--set", kv)]


def _train(out, *extra, preset="dcgan-digits", more=()):
    return CliRunner().invoke(main, ["train", "--preset", preset, "--out", str(out), *_sets(*extra), *more])


def test_duplicate_yaml_keys_and_booleans_for_numbers_are_refused(tmp_path):
    """Regression: a repeated key kept its last value silently, and `true` passed as the integer 1."""
    dup = tmp_path / "dup.yaml"
    dup.write_text("train:\n  batch_size: 32\n  batch_size: 64\n")
    result = CliRunner().invoke(main, ["train", "--preset", str(dup), "--dry-run"])
    assert result.exit_code == 2 and "key 'batch_size' appears twice (lines 2 and 3)" in result.output
    result = CliRunner().invoke(
        main, ["train", "--preset", "dcgan-digits", "--dry-run", "--set", "train.batch_size=true"]
    )
    assert result.exit_code == 2 and "train.batch_size" in result.output and "got the boolean true" in result.output


def test_empty_out_and_unwritable_out_are_clean_errors(tmp_path):
    """Regression: --out "" trained into the current folder; a file as parent gave a traceback."""
    result = _train("")
    assert result.exit_code == 2 and "name a run folder" in result.output
    (tmp_path / "afile").write_text("x")
    result = _train(tmp_path / "afile" / "run")
    assert result.exit_code == 2 and "afile" in result.output and "Traceback" not in result.output


def test_sample_count_is_bounded():
    result = CliRunner().invoke(main, ["sample", "--run", "nowhere", "-n", "100000000", "--out", "g.png"])
    assert result.exit_code == 2 and "100000000 is not in the range" in result.output


def test_eval_on_a_run_without_a_real_set_is_a_clean_error(tmp_path):
    """Regression: eval of a 2-D toy run raised NotImplementedError with a traceback."""
    out = tmp_path / "toy"
    sets = ["train.total_kimg=0.2", "train.tick_kimg=0.1", "train.batch_size=100"]
    result = CliRunner().invoke(
        main, ["train", "--preset", "toy-veegan", "--out", str(out), "--set", sets[0], "--set", sets[1]]
    )
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["eval", "--run", str(out)])
    assert result.exit_code == 2 and "this run uses 'ring8'" in result.output


def test_damaged_newest_checkpoint_is_moved_aside_and_never_kept_over_a_good_one(tmp_path):
    """Regression: after a fallback, pruning deleted the good checkpoint and kept the damaged one."""
    out = tmp_path / "run"
    assert _train(out, "train.keep_checkpoints=2").exit_code == 0
    ckpts = sorted((out / "checkpoints").glob("ckpt-*"))
    newest = ckpts[-1]
    (newest / "G_ema.safetensors").write_bytes(b"broken")
    result = _train(out, "train.keep_checkpoints=2", "train.total_kimg=0.192", more=["--resume", "auto"])
    assert result.exit_code == 0, result.output
    assert "moved the damaged checkpoint aside" in result.output
    assert (out / "checkpoints" / f"damaged-{newest.name}").is_dir()
    remaining = sorted((out / "checkpoints").glob("ckpt-*"))  # retrained from ckpts[-2]; every kept one is good
    assert [p.name for p in remaining] == [newest.name, "ckpt-0000000192"]
    assert all((p / "G_ema.safetensors").read_bytes() != b"broken" for p in remaining)


def test_fresh_start_over_a_log_without_checkpoints_starts_a_new_log(tmp_path):
    """Regression: ticks of an attempt that saved nothing were kept, then the new run appended ticks 1, 2, ..."""
    out = tmp_path / "run"
    out.mkdir()
    (out / "log.jsonl").write_text(json.dumps({"tick": 1, "kimg": 9.0}) + "\n")
    result = _train(out)
    assert result.exit_code == 0, result.output
    ticks = [json.loads(line)["tick"] for line in (out / "log.jsonl").read_text().splitlines()]
    assert ticks == [1, 2, 3, 4]


def test_resume_after_the_images_changed_is_refused(tmp_path):
    """Regression: a folder run resumed silently after images were added or removed."""
    data = tmp_path / "imgs"
    data.mkdir()
    for i in range(20):
        Image.fromarray(np.full((8, 8), i * 10, np.uint8)).save(data / f"{i:02d}.png")
    out = tmp_path / "run"
    folder = ["data.source=folder", f"data.path={data}", "data.channels=1"]
    assert _train(out, *folder).exit_code == 0
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(data / "new.png")
    result = _train(out, *folder, "train.total_kimg=0.192", more=["--resume", "auto"])
    assert (
        result.exit_code == 2
        and "the training data changed" in result.output
        and "20 images then, 21 now" in result.output
    )


@pytest.mark.parametrize("n", [0, -1])
def test_python_api_rejects_empty_sample_requests(tmp_path, n):
    out = tmp_path / "run"
    assert _train(out).exit_code == 0
    from gankit.run import Run

    with pytest.raises(ValueError, match="n must be a positive number of samples"):
        Run.load(out).sample(n)


def test_sample_from_a_damaged_newest_checkpoint_names_the_previous_one(tmp_path):
    """sample/eval do not silently switch checkpoints, but the error says which earlier one to pass."""
    out = tmp_path / "run"
    assert _train(out, "train.keep_checkpoints=2").exit_code == 0
    older, newest = sorted((out / "checkpoints").glob("ckpt-*"))[-2:]
    (newest / "G_ema.safetensors").write_bytes(b"broken")
    result = CliRunner().invoke(main, ["sample", "--run", str(out), "--out", str(tmp_path / "g.png")])
    assert result.exit_code == 2 and f"the previous checkpoint is {older}" in result.output


def test_one_adam_beta_says_two_are_expected():
    """Regression: train.betas_g=[0.5] said only "Field required"."""
    result = CliRunner().invoke(
        main, ["train", "--preset", "dcgan-digits", "--dry-run", "--set", "train.betas_g=[0.5]"]
    )
    assert result.exit_code == 2 and "expected two Adam betas [beta1, beta2]" in result.output
