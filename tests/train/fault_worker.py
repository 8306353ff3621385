"""Run by test_distributed.py under torchrun: rank 1 alone gets a NaN loss and later a SIGTERM.

Both ranks must skip the NaN step and stop after the same step. Each rank writes its counters and
weights to `<out>/rank<r>.pt`.
"""

import itertools
import os
import signal
import sys
from pathlib import Path

import torch

from gankit.config import load_config
from gankit.train.distributed import shutdown_distributed
from gankit.train.loop import Trainer, prepare_run_dir

out = Path(sys.argv[1])
nan_call, stop_step = 1, 4
cfg = load_config("dcgan-digits", sys.argv[2:])
trainer = Trainer(cfg, out / "run", log=lambda *a: None)
if trainer.dist.is_main:
    prepare_run_dir(out / "run", cfg)

# Poison rank 1's D loss once, and send rank 1 a SIGTERM after a later step.
if trainer.dist.rank == 1:
    phase = next(p for p in trainer.game.phases if p.name == "D")
    original, calls = phase.run, itertools.count()

    def poisoned(ctx):
        terms = original(ctx)
        if next(calls) == nan_call:
            terms["loss"] = terms["loss"] * float("inf")
        return terms

    phase.run = poisoned
    run_step = trainer.run_step

    def step_then_signal():
        run_step()
        if trainer.step == stop_step:
            os.kill(os.getpid(), signal.SIGTERM)

    trainer.run_step = step_then_signal

with trainer.stop.installed():
    trainer.train()
weights = {f"{n}.{k}": v for n, net in trainer.nets.items() for k, v in net.state_dict().items()}
weights["counters"] = torch.tensor([trainer.step, trainer.nimg, trainer.guard.bad_steps_total])
weights["stopped_by_signal"] = torch.tensor(trainer.stopped_by == "SIGTERM")
torch.save(weights, out / f"rank{trainer.dist.rank}.pt")
shutdown_distributed()
