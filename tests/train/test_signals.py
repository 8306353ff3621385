"""SIGTERM/SIGINT: stop at a step boundary with a checkpoint, exit 0, and resume exactly."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from gankit.train import checkpoint as ckpt
from gankit.train.loop import Trainer, prepare_run_dir
from gankit.train.signals import StopFlag
from tests.conftest import TINY

REPO = Path(__file__).parents[2]


def weights_and_state(checkpoint: Path) -> dict[str, torch.Tensor]:
    """Every tensor of a checkpoint: the three networks and the optimizers' moments."""
    out = {f"{n}.{k}": v for n in ("G", "D", "G_ema") for k, v in ckpt.load_weights(checkpoint, n).items()}
    state = ckpt.load_state(checkpoint)
    for name, opt in state["optimizers"].items():
        for i, s in opt["state"].items():
            out.update({f"opt_{name}.{i}.{k}": v for k, v in s.items()})
    return out


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k} differs"


def test_handler_only_sets_the_flag_and_restores_the_previous_one():
    flag = StopFlag()
    before = signal.getsignal(signal.SIGTERM)
    before_int = signal.getsignal(signal.SIGINT)  # SIG_IGN when the suite runs in a background job (CI)
    with flag.installed():
        os.kill(os.getpid(), signal.SIGTERM)
        assert flag.signal_name == "SIGTERM"
        assert signal.getsignal(signal.SIGTERM) is before  # a second SIGTERM acts as usual
    assert signal.getsignal(signal.SIGINT) is before_int  # restored on leaving, whatever it was
    assert flag.agreed(world_size=1)


def test_stop_mid_tick_then_resume_equals_uninterrupted_run(tiny_cfg, tmp_path):
    """A stop request after step 5 (mid-tick) checkpoints that step; resuming gives the same weights and log ticks."""
    cfg = tiny_cfg("loss.r1_gamma=1.0", "loss.r1_interval=3", "augment.diffaugment=[color, translation]")
    full = Trainer(cfg, tmp_path / "full", log=lambda *a: None)
    prepare_run_dir(tmp_path / "full", cfg)
    full.train()

    # Stop after step 5, as the SIGTERM handler would.
    stopped = Trainer(cfg, tmp_path / "stopped", log=lambda *a: None)
    prepare_run_dir(tmp_path / "stopped", cfg)
    run_step = stopped.run_step

    def step_then_signal():
        run_step()
        if stopped.step == 5:
            stopped.stop.request("SIGTERM")

    stopped.run_step = step_then_signal
    stopped.train()
    assert stopped.stopped_by == "SIGTERM" and stopped.nimg == 80
    assert ckpt.resolve_checkpoint(tmp_path / "stopped").name == "ckpt-0000000080"

    # Resume and finish.
    resumed = Trainer(cfg, tmp_path / "stopped", log=lambda *a: None)
    resumed.load(ckpt.resolve_checkpoint(tmp_path / "stopped"))
    resumed.train()
    assert resumed.stopped_by is None and resumed.step == full.step
    assert_same(
        weights_and_state(ckpt.resolve_checkpoint(tmp_path / "full")),
        weights_and_state(ckpt.resolve_checkpoint(tmp_path / "stopped")),
    )
    ticks = [
        [json.loads(line)["kimg"] for line in (tmp_path / d / "log.jsonl").read_text().splitlines()]
        for d in ("full", "stopped")
    ]
    assert ticks[0] == ticks[1]  # the interrupted tick is finished, not restarted


def _train_cmd(run: Path, *extra: str) -> list[str]:
    sets = [arg for kv in (*TINY, "train.total_kimg=0.64", *extra) for arg in ("--set", kv)]
    return [sys.executable, "-m", "gankit", "train", "--preset", "dcgan-digits", "--out", str(run), *sets]


@pytest.mark.slow
def test_sigterm_to_gankit_train_checkpoints_exits_0_and_resume_auto_continues_exactly(tmp_path):
    """A real SIGTERM to `gankit train`: exit 0 with a checkpoint at that step; --resume auto ends bit-identical."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    run = tmp_path / "run"
    proc = subprocess.Popen(
        _train_cmd(run), cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.time() + 120
    while not (run / "log.jsonl").is_file() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    assert "stopped by SIGTERM" in output and "--resume auto" in output
    stopped_at = ckpt.resolve_checkpoint(run)
    assert stopped_at.name != "ckpt-0000000640"  # it stopped early

    # Resume, and train the same schedule without interruption.
    resumed = subprocess.run([*_train_cmd(run), "--resume", "auto"], cwd=REPO, env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed from {stopped_at}" in resumed.stdout
    plain = subprocess.run(_train_cmd(tmp_path / "plain"), cwd=REPO, env=env, capture_output=True, text=True)
    assert plain.returncode == 0, plain.stderr
    assert_same(
        weights_and_state(ckpt.resolve_checkpoint(run)), weights_and_state(ckpt.resolve_checkpoint(tmp_path / "plain"))
    )
