"""Overhead of the non-finite guard: `Trainer.run_step` as shipped against the same step without it.

"off" replaces the guard's per-step work with no-ops and uses the unfused (foreach) Adam that gankit
used before the guard. Rounds alternate the two, one thread, so the ratio of medians is robust to
other jobs on a shared machine.

    .venv/bin/python benchmarks/guard_overhead.py --rounds 15 --steps 20
"""

import argparse
import statistics
import tempfile
import time

import torch

from gankit.config import load_config
from gankit.train.loop import Trainer


def build(guard: bool, batch: int, run_dir: str) -> Trainer:
    cfg = load_config("dcgan-digits", [f"train.batch_size={batch}", "train.device=cpu", "augment.diffaugment=[]"])
    trainer = Trainer(cfg, run_dir, log=lambda *a: None)
    if not guard:
        t = cfg.train
        trainer.optimizers["G"] = torch.optim.Adam(trainer.G.parameters(), lr=t.lr_g, betas=t.betas_g)
        trainer.optimizers["D"] = torch.optim.Adam(trainer.D.parameters(), lr=t.lr_d, betas=t.betas_d)
        trainer.guard.flag_step = lambda *a: None
        trainer.guard.end_step = lambda: None
    return trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        trainers = {"on": build(True, args.batch, tmp), "off": build(False, args.batch, tmp)}
        times: dict[str, list[float]] = {"on": [], "off": []}
        for r in range(args.rounds):
            for name in ("on", "off") if r % 2 == 0 else ("off", "on"):
                trainer = trainers[name]
                for _ in range(2):
                    trainer.run_step()
                start = time.perf_counter()
                for _ in range(args.steps):
                    trainer.run_step()
                times[name].append((time.perf_counter() - start) / args.steps)
    on, off = statistics.median(times["on"]), statistics.median(times["off"])
    ratios = [b / a for a, b in zip(times["on"], times["off"], strict=True)]
    print(f"ms/step with guard {on * 1e3:.2f}, without {off * 1e3:.2f}; throughput ratio on/off {off / on:.3f}")
    print(f"median per-round ratio {statistics.median(ratios):.3f} over {args.rounds} rounds of {args.steps} steps")


if __name__ == "__main__":
    main()
