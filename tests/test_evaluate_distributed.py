"""`gankit eval` and evaluation during training under torchrun (gloo on CPU): features sharded over 2 ranks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gankit.cli import main
from tests.conftest import TINY

ROOT = Path(__file__).parents[1]
WORKER = ROOT / "tests" / "train" / "ddp_worker.py"


def _torchrun(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)


@pytest.mark.slow
def test_two_rank_eval_equals_one_process(tmp_path):
    """Protects sharded extraction: 2 ranks gather the same features as 1 process, and only rank 0 writes."""
    args = ["eval", "--no-progress", "--fake", "builtin:digits-test", "--real", "builtin:digits-train"]
    args += ["--metrics", "fid,kid,pr,dc", "--stats-cache", "off", "--batch", "50"]
    # "--" keeps torchrun's parser off gankit's flags (it would read --log as an abbreviation of its --log-dir).
    result = _torchrun("-m", "gankit", "--", *args, "--log", str(tmp_path / "two.jsonl"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("fid450_digits") == 1  # the table is printed by rank 0 only
    single = CliRunner().invoke(main, [*args, "--log", str(tmp_path / "one.jsonl")])
    assert single.exit_code == 0, single.output
    two, one = ([json.loads(x) for x in (tmp_path / f).read_text().splitlines()] for f in ("two.jsonl", "one.jsonl"))
    assert [r["ranks"] for r in two] == [2] * 4 and [r["ranks"] for r in one] == [1] * 4
    for a, b in zip(two, one, strict=True):
        for key in a["result_keys"]:
            assert a[key] == pytest.approx(b[key], rel=1e-6, abs=1e-9), (a["name"], key)


@pytest.mark.slow
def test_two_rank_training_evaluates_once_per_schedule(tmp_path):
    """Protects evaluation during a torchrun training: both ranks take part, one record per evaluation."""
    evals = ["eval.metrics=[fid]", "eval.every_kimg=0.064", "eval.num_samples=40", "eval.best_metric=fid"]
    evals.append(f"eval.stats_dir={tmp_path / 'stats'}")
    result = _torchrun(str(WORKER), str(tmp_path), *TINY, "train.total_kimg=0.128", *evals)
    assert result.returncode == 0, result.stderr[-3000:]
    records = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    fids = [r for r in records if r["metric"] == "fid"]
    assert [(r["snapshot"], r["ranks"]) for r in fids] == [("ckpt-0000000064", 2), ("ckpt-0000000128", 2)]
    assert (tmp_path / "run" / "checkpoints" / "best" / "best.json").is_file()
