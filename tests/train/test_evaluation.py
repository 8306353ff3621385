"""Evaluation during training: eval.metrics on an eval.every_kimg schedule and the best checkpoint."""

import json

import pytest

from gankit.errors import ConfigError
from gankit.run import Run
from gankit.train.distributed import DistInfo
from gankit.train.evaluation import BEST_METRICS, TrainingEvaluation
from tests.conftest import train_run

EVAL = ["eval.metrics=[fid,pr]", "eval.every_kimg=0.064", "eval.num_samples=48"]


def _records(run_dir) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.slow
@pytest.mark.parametrize(("best_metric", "pick"), [("fid", min), ("recall", max)])
def test_training_evaluates_on_schedule_and_keeps_the_best(tiny_cfg, tmp_path, best_metric, pick):
    """Protects eval.every_kimg (0.064 of 0.128 kimg: two evaluations) and the best checkpoint in both directions."""
    run_dir = tmp_path / "run"
    train_run(tiny_cfg(*EVAL, f"eval.best_metric={best_metric}"), run_dir)
    records = _records(run_dir)
    fids = [r for r in records if r["metric"] == "fid"]
    assert [r["snapshot"] for r in fids] == ["ckpt-0000000064", "ckpt-0000000128"]
    assert all(r["num_gen"] == 48 and r["real_set"] == "digits test split (450 images)" for r in fids)
    metric, key, _ = BEST_METRICS[best_metric]
    values = {r["snapshot"]: r[key] for r in records if r["metric"] == metric}
    best = json.loads((run_dir / "checkpoints" / "best" / "best.json").read_text())
    assert best["value"] == pick(values.values()) and values[best["checkpoint"]] == best["value"]
    assert Run.load(run_dir / "checkpoints" / "best").kimg == best["kimg"]  # a checkpoint gankit sample/eval can use


def test_no_eval_section_means_no_evaluation(tiny_cfg, tmp_path):
    """Protects the default: without eval.metrics training writes no metric records."""
    train_run(tiny_cfg(), tmp_path / "run")
    assert not (tmp_path / "run" / "metrics.jsonl").exists()


def test_schedule_fires_when_a_multiple_is_crossed_and_at_the_end(tiny_cfg, tmp_path):
    """Protects the schedule arithmetic in images."""
    ev = TrainingEvaluation(tiny_cfg("eval.metrics=[fid]", "eval.every_kimg=0.1"), tmp_path, DistInfo())
    assert [ev.due(n, 32, False) for n in (32, 64, 96, 128, 192, 224)] == [False, False, False, True, False, True]
    assert ev.due(140, 12, True)
    assert not TrainingEvaluation(tiny_cfg(), tmp_path, DistInfo()).due(100, 100, True)


def test_a_worse_value_keeps_the_earlier_best(tiny_cfg, tmp_path):
    """Protects best-keeping across calls (and resumes, which read best.json): only improvements replace it."""
    ev = TrainingEvaluation(tiny_cfg(*EVAL, "eval.best_metric=fid"), tmp_path, DistInfo(), log=lambda *a: None)
    bests = []
    for name, fid in (("ckpt-1", 5.0), ("ckpt-2", 7.0), ("ckpt-3", 4.0), ("ckpt-4", 4.5)):
        folder = tmp_path / "checkpoints" / name
        folder.mkdir(parents=True)
        (folder / "meta.json").write_text("{}")
        ev._keep_if_best(folder, [{"metric": "fid", "value": fid}], kimg=float(name[-1]))
        bests.append(ev.best()["value"])
    assert bests == [5.0, 5.0, 4.0, 4.0]
    assert ev.best() == {"metric": "fid", "value": 4.0, "kimg": 3.0, "checkpoint": "ckpt-3"}
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["best", *(f"ckpt-{i}" for i in range(1, 5))]


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        (["eval.metrics=[fid]"], "needs eval.every_kimg > 0"),
        (["eval.metrics=[fid]", "eval.every_kimg=1", "eval.best_metric=recall"], "add 'pr' to eval.metrics"),
        (["eval.metrics=[fdi]", "eval.every_kimg=1"], "eval.metrics"),
    ],
)
def test_eval_config_errors_name_the_key_and_the_fix(tiny_cfg, overrides, match):
    """Protects the eval section's validation messages."""
    with pytest.raises(ConfigError, match=match):
        tiny_cfg(*overrides)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        (["metrics.feature_net=inception"], r"feature_net='inception': the inception weights are missing: looked for "),
        (["eval.stats_dir=/proc/gankit-no"], r"eval.stats_dir='/proc/gankit-no' cannot be used"),
        (["eval.metrics=[is]", "eval.num_samples=5"], r"'is', which needs at least 10 generated samples, but "),
    ],
)
def test_what_would_stop_the_first_evaluation_fails_before_step_one(tiny_cfg, tmp_path, overrides, match, monkeypatch):
    """Missing feature weights, an unusable stats folder or too few samples fail when the trainer is built, not
    after training up to the first evaluation."""
    from gankit.train.loop import Trainer

    monkeypatch.setenv("HOME", str(tmp_path))  # no Inception weights in the cache folder
    cfg = tiny_cfg("eval.metrics=[fid]", "eval.every_kimg=0.064", *overrides)
    with pytest.raises(ConfigError, match=match):
        Trainer(cfg, tmp_path / "run", log=lambda *a, **k: None)
