"""Non-finite losses and gradients: skipped on the device, counted, rolled back, and finally refused."""

import itertools
import json

import pytest
import torch

from gankit.errors import TrainingError
from gankit.train import checkpoint as ckpt
from gankit.train.loop import Trainer, prepare_run_dir
from gankit.train.nonfinite import NonFiniteGuard


def poison(trainer: Trainer, phase_name: str, bad_calls) -> None:
    """Make the loss of the listed calls (0-based) of one phase NaN."""
    phase = next(p for p in trainer.game.phases if p.name == phase_name)
    original, calls = phase.run, itertools.count()

    def run(ctx):
        terms = original(ctx)
        if next(calls) in bad_calls:
            terms["loss"] = terms["loss"] * float("nan")
        return terms

    phase.run = run


def all_finite(trainer: Trainer) -> bool:
    nets = (trainer.G, trainer.D, trainer.ema.G_ema)
    return all(torch.isfinite(v).all() for net in nets for v in net.state_dict().values() if v.is_floating_point())


def records(run_dir) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]


def test_nan_loss_step_leaves_weights_and_adam_state_untouched(tiny_cfg, tmp_path):
    """A D step with a NaN loss changes neither D's weights nor its Adam moments or step count."""
    trainer = Trainer(tiny_cfg(), tmp_path, log=lambda *a: None)
    trainer.run_step()  # one good step, so Adam has state
    d_before = {
        k: v.clone() for k, v in trainer.D.state_dict().items() if "running" not in k and "num_batches" not in k
    }
    adam_before = {
        i: {k: v.clone() for k, v in s.items()} for i, s in trainer.optimizers["D"].state_dict()["state"].items()
    }
    g_before = [p.clone() for p in trainer.G.parameters()]
    poison(trainer, "D", {0})
    trainer.run_step()
    for k, v in d_before.items():
        assert torch.equal(trainer.D.state_dict()[k], v), k
    for i, s in trainer.optimizers["D"].state_dict()["state"].items():
        for k, v in s.items():
            assert torch.equal(v, adam_before[i][k]), f"D Adam state {i}.{k} moved on a skipped step"
    assert any(not torch.equal(a, b) for a, b in zip(trainer.G.parameters(), g_before, strict=True))  # G still steps
    assert all_finite(trainer)


def test_nan_gradient_with_finite_loss_is_skipped(tiny_cfg, tmp_path):
    """A non-finite gradient is caught even when the loss itself is finite."""
    trainer = Trainer(tiny_cfg(), tmp_path, log=lambda *a: None)
    first = next(trainer.D.parameters())
    before = first.detach().clone()
    handle = first.register_hook(lambda grad: grad * float("inf"))
    trainer.run_step()
    handle.remove()
    assert torch.equal(first.detach(), before)
    assert trainer.guard.end_tick() == (1, False)
    assert all_finite(trainer)


def test_skipped_steps_are_counted_in_the_tick_log(tiny_cfg, tmp_path):
    """Bad steps appear as nonfinite_steps in the tick's log line; the run ends with finite weights."""
    cfg = tiny_cfg()
    trainer = Trainer(cfg, tmp_path, log=lambda *a: None)
    prepare_run_dir(tmp_path, cfg)
    poison(trainer, "G", {1, 3})  # steps 2 and 4: one bad step in each of ticks 1 and 2 (2 steps per tick)
    trainer.train()
    counts = [r.get("nonfinite_steps", 0) for r in records(tmp_path)]
    assert counts == [1, 1, 0, 0]
    assert all_finite(trainer) and trainer.guard.bad_steps_total == 2 and trainer.guard.rollbacks == 0


def test_consecutive_bad_steps_roll_back_to_the_last_checkpoint(tiny_cfg, tmp_path):
    """max_nonfinite_steps bad steps in a row reload the last checkpoint, log the rollback and train on to the end."""
    cfg = tiny_cfg("train.total_kimg=0.256", "train.max_nonfinite_steps=2")
    messages = []
    trainer = Trainer(cfg, tmp_path, log=messages.append)
    prepare_run_dir(tmp_path, cfg)
    poison(trainer, "D", {4, 5})  # steps 5 and 6 (tick 3), after the checkpoint at step 4 (64 images)
    trainer.train()
    lines = records(tmp_path)
    events = [r for r in lines if r.get("event") == "rollback"]
    assert len(events) == 1 and events[0]["kimg"] == pytest.approx(0.064) and events[0]["rollback"] == 1
    assert [r["tick"] for r in lines if "event" not in r] == [1, 2, 3, 4, 5, 6, 7, 8]  # tick 3 redone after the event
    assert any("rolled back to" in m and "ckpt-0000000064" in m for m in messages)
    assert trainer.nimg == 256 and trainer.guard.rollbacks == 1 and all_finite(trainer)
    state = ckpt.load_state(ckpt.resolve_checkpoint(tmp_path))
    assert state["nonfinite"]["rollbacks"] == 1  # a resumed run keeps counting


def test_too_many_rollbacks_stop_with_a_clear_error(tiny_cfg, tmp_path):
    """A run that stays non-finite stops after max_rollbacks rollbacks, naming the keys to change."""
    cfg = tiny_cfg("train.total_kimg=0.256", "train.max_nonfinite_steps=2", "train.max_rollbacks=1")
    trainer = Trainer(cfg, tmp_path, log=lambda *a: None)
    prepare_run_dir(tmp_path, cfg)
    poison(trainer, "D", range(4, 10**6))
    with pytest.raises(TrainingError, match=r"training diverged: .* after 1 rollbacks \(train.max_rollbacks=1\)"):
        trainer.train()
    assert trainer.guard.rollbacks == 1 and all_finite(trainer)
    assert ckpt.resolve_checkpoint(tmp_path).name == "ckpt-0000000064"


def test_bad_steps_before_any_checkpoint_stop_with_advice(tiny_cfg, tmp_path):
    cfg = tiny_cfg("train.max_nonfinite_steps=2")
    trainer = Trainer(cfg, tmp_path, log=lambda *a: None)
    prepare_run_dir(tmp_path, cfg)
    poison(trainer, "D", range(10**6))
    with pytest.raises(TrainingError, match="before the first checkpoint.*lower train.lr_g"):
        trainer.train()
    assert all_finite(trainer)


def test_guard_state_round_trip():
    guard = NonFiniteGuard(4, 2, torch.device("cpu"))
    guard.rollbacks, guard.bad_steps_total = 1, 7
    guard._run.fill_(3)
    other = NonFiniteGuard(4, 2, torch.device("cpu"))
    other.load_state_dict(guard.state_dict())
    assert other.state_dict() == {"rollbacks": 1, "bad_steps_total": 7, "run": 3}
