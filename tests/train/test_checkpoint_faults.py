"""Checkpoints under faults: kill -9 mid-write, damaged files, full and read-only disks."""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from gankit.cli import main
from gankit.errors import CheckpointError, OutputError
from gankit.train import checkpoint as ckpt
from gankit.train.loop import Trainer, prepare_run_dir
from tests.conftest import TINY

REPO = Path(__file__).parents[2]
FIRST, SECOND = "ckpt-0000000064", "ckpt-0000000128"


def _sets(*extra: str) -> list[str]:
    return [arg for kv in (*TINY, *extra) for arg in ("--set", kv)]


def _train(cfg, run_dir: Path) -> Trainer:
    trainer = Trainer(cfg, run_dir, log=lambda *a: None)
    prepare_run_dir(run_dir, cfg)
    trainer.train()
    return trainer


@pytest.fixture
def run(tiny_cfg, tmp_path) -> Path:
    """A finished tiny run with two checkpoints (64 and 128 images)."""
    _train(tiny_cfg(), tmp_path / "run")
    return tmp_path / "run"


def test_kill_9_during_a_checkpoint_write_keeps_the_previous_one(tiny_cfg, tmp_path):
    """SIGKILL halfway through a checkpoint: the previous one loads, latest.json names it, the leftover is cleaned."""
    worker = Path(__file__).with_name("slow_write_worker.py")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, str(worker), str(tmp_path), *TINY], cwd=REPO, env=env)
    deadline = time.time() + 120
    while not (tmp_path / "writing").is_file() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert (tmp_path / "writing").is_file(), "the worker never reached the second checkpoint"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    root = tmp_path / "run" / "checkpoints"
    assert json.loads((root / "latest.json").read_text()) == {"checkpoint": FIRST}
    assert [p.name for p in ckpt.list_checkpoints(root)] == [FIRST]
    leftovers = [p for p in root.iterdir() if p.name.startswith(".tmp-")]
    assert len(leftovers) == 1 and (leftovers[0] / "state.pt").is_file()
    Trainer(tiny_cfg(), tmp_path / "other", log=lambda *a: None).load(ckpt.resolve_checkpoint(tmp_path / "run"))

    # The next start cleans up and continues from the previous checkpoint.
    result = CliRunner().invoke(
        main, ["train", "--preset", "dcgan-digits", "--out", str(tmp_path / "run"), "--resume", "auto", *_sets()]
    )
    assert result.exit_code == 0, result.output
    assert f"resumed from {root / FIRST}" in result.output
    assert not [p for p in root.iterdir() if p.name.startswith(".tmp-")]


def _flip_bit(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


DAMAGE = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "zero-length": lambda p: p.write_bytes(b""),
    "bit-flipped": _flip_bit,
    "wrong-format": lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
}


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("file_name", ["G.safetensors", "D.safetensors", "state.pt"])
def test_damaged_checkpoint_file_names_the_file_and_the_problem(run, tiny_cfg, tmp_path, damage, file_name):
    """Each kind of damage gives a CheckpointError naming the file, before anything is trained on."""
    target = run / "checkpoints" / SECOND / file_name
    DAMAGE[damage](target)
    trainer = Trainer(tiny_cfg(), tmp_path / "other", log=lambda *a: None)
    with pytest.raises(CheckpointError, match=str(target).replace(".", r"\.")) as info:
        trainer.load(run / "checkpoints" / SECOND)
    assert "corrupt" in str(info.value) or "empty" in str(info.value) or "truncated" in str(info.value)


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]", b'{"sha256": 3}'])
def test_damaged_meta_json_is_named(run, content):
    path = run / "checkpoints" / SECOND / "meta.json"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=str(path).replace(".", r"\.")):
        ckpt.load_state(run / "checkpoints" / SECOND)


def test_state_of_the_wrong_shape_is_a_checkpoint_error(run, tiny_cfg, tmp_path):
    """A valid torch file that is not gankit's training state is refused by name, not with a KeyError."""
    folder = run / "checkpoints" / SECOND
    torch.save({"step": 1}, folder / "state.pt")
    meta = json.loads((folder / "meta.json").read_text())
    del meta["sha256"]["state.pt"], meta["meta_sha256"]  # as if written by a program that records no digests
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="does not hold the training state"):
        Trainer(tiny_cfg(), tmp_path / "other", log=lambda *a: None).load(folder)


@pytest.mark.parametrize("damage", ["truncated", "bit-flipped", "zero-length"])
@pytest.mark.parametrize("file_name", ["G_ema.safetensors", "state.pt", "meta.json"])
def test_resume_auto_falls_back_to_the_previous_checkpoint_and_says_so(run, damage, file_name):
    DAMAGE[damage](run / "checkpoints" / SECOND / file_name)
    result = CliRunner().invoke(
        main,
        ["train", "--preset", "dcgan-digits", "--out", str(run), "--resume", "auto", *_sets("train.total_kimg=0.192")],
    )
    assert result.exit_code == 0, result.output
    assert "warning: " in result.output and f"falling back to {run / 'checkpoints' / FIRST}" in result.output
    assert f"resumed from {run / 'checkpoints' / FIRST}" in result.output


def _fail_on(monkeypatch, err: int, file_name: str = "D.safetensors") -> None:
    """Make the checkpoint writer fail with `err` when it reaches `file_name`, as a full or read-only disk does."""
    real = ckpt.write_durable

    def write(path: Path, data: bytes) -> None:
        if path.name == file_name:
            raise OSError(err, os.strerror(err), str(path))
        real(path, data)

    monkeypatch.setattr(ckpt, "write_durable", write)


@pytest.mark.parametrize(("err", "words"), [(errno.ENOSPC, "no space left on device"), (errno.EROFS, "read-only")])
def test_full_or_read_only_disk_names_the_path_and_keeps_the_previous_checkpoint(
    run, tiny_cfg, monkeypatch, err, words
):
    trainer = Trainer(tiny_cfg(), run, log=lambda *a: None)
    _fail_on(monkeypatch, err)
    with pytest.raises(OutputError, match=rf"cannot write '.*D\.safetensors': {words}.*{SECOND} is intact"):
        ckpt.save_checkpoint(run / "checkpoints", 192, trainer.nets, trainer.state_dict(), {})
    root = run / "checkpoints"
    assert json.loads((root / "latest.json").read_text()) == {"checkpoint": SECOND}
    assert [p.name for p in root.iterdir() if p.name.startswith(".tmp-")] == []  # the partial folder is gone
    Trainer(tiny_cfg(), run, log=lambda *a: None).load(root / SECOND)


def test_disk_full_during_gankit_train_is_one_line_and_exit_2(tmp_path, monkeypatch):
    _fail_on(monkeypatch, errno.ENOSPC)
    result = CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(tmp_path / "r"), *_sets()])
    assert result.exit_code == 2
    assert "error: cannot write" in result.output and "no space left on device" in result.output
    assert "Traceback" not in result.output


def test_read_only_log_file_is_reported_by_path(tmp_path):
    """Any other write into a read-only run folder fails with the path, not a traceback."""
    if os.geteuid() == 0:
        pytest.skip("root ignores file permissions")
    run = tmp_path / "r"
    result = CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(run), "--dry-run"])
    run.mkdir()
    run.chmod(0o555)
    result = CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(run), *_sets()])
    run.chmod(0o755)
    assert result.exit_code == 2 and "permission denied" in result.output and str(run) in result.output


TMPFS_SCRIPT = """
set -e
mount -t tmpfs -o size={size} gankit-test "$1"
cd "$2"
status=0
"$3" -m gankit train --preset dcgan-digits --out "$1/run" {sets} > "$4/out.txt" 2>&1 || status=$?
echo $status > "$4/status"
cp -r "$1/run" "$4/run"
"""


@pytest.mark.slow
def test_real_small_tmpfs_fills_up_with_a_clear_error(tmp_path):
    """On a real 640 KiB tmpfs (user and mount namespaces): ENOSPC is reported and the last good checkpoint loads."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not installed")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces are not available here: {probe.stderr.decode().strip()}")
    (tmp_path / "mnt").mkdir()
    sets = " ".join(f"--set {kv}" for kv in (*TINY, "train.total_kimg=0.64", "train.keep_checkpoints=100"))
    script = TMPFS_SCRIPT.format(size="640k", sets=sets)
    args = [str(tmp_path / "mnt"), str(REPO), sys.executable, str(tmp_path)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", *args], check=True, env=env, timeout=300)
    output = (tmp_path / "out.txt").read_text()
    assert (tmp_path / "status").read_text().strip() == "2", output
    assert "no space left on device" in output and "is intact" in output and "Traceback" not in output
    copied = tmp_path / "run" / "checkpoints"
    assert not [p for p in copied.iterdir() if p.name.startswith(".tmp-")]
    latest = ckpt.resolve_checkpoint(tmp_path / "run")
    assert latest.name in output  # the message names the intact checkpoint
    ckpt.load_state(latest)
    for name in ("G", "D", "G_ema"):
        ckpt.load_weights(latest, name)
