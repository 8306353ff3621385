import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.conftest import TINY

WORKER = Path(__file__).with_name("ddp_worker.py")


@pytest.mark.slow
def test_two_process_torchrun_keeps_ranks_identical(tmp_path):
    """Under torchrun (gloo), ranks see distinct data, end with identical weights, and only rank 0 writes."""
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        str(WORKER),
        str(tmp_path),
        *TINY,
        "train.total_kimg=0.096",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[2])
    assert result.returncode == 0, result.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert not set(r0["first_batch"].tolist()) & set(r1["first_batch"].tolist())
    assert len(r0["first_batch"]) == 8  # the global batch of 16 split across 2 ranks
    for key in r0:
        if key != "first_batch":
            assert torch.equal(r0[key], r1[key]), f"{key} differs between ranks"
    ckpts = list((tmp_path / "run" / "checkpoints").glob("ckpt-*"))
    assert sorted(c.name for c in ckpts) == ["ckpt-0000000064", "ckpt-0000000096"]
    assert len((tmp_path / "run" / "log.jsonl").read_text().splitlines()) == 3


@pytest.mark.slow
def test_two_process_ada_keeps_p_identical_across_ranks(tmp_path):
    """ADA's controller averages r_t over ranks, so every rank moves p alike and the weights stay identical."""
    ada = ["augment.ada.mode=adaptive", "augment.ada.target=0.0", "augment.ada.ada_kimg=0.5", "augment.ada.interval=2"]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(WORKER)]
    cmd += [str(tmp_path), *TINY, "train.total_kimg=0.096", *ada]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=Path(__file__).parents[2])
    assert result.returncode == 0, result.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert r0["aug_p"].item() > 0
    for key in r0:
        if key != "first_batch":
            assert torch.equal(r0[key], r1[key]), f"{key} differs between ranks"
