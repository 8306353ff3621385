"""What the full toy-modes table costs: FLOPs per step, steps per CPU-second, and the floor at the matmul peak.

For every row and protocol of `benchmarks/toy_modes.py` this builds gankit's trainer as `gankit train`
does, counts the matmul FLOPs of one step (FlopCounterMode: forward and backward; elementwise work is not
counted), times steps in process CPU time on one thread (CPU time, not wall time: the machine is shared),
and times a square fp32 matmul on the same thread as the peak. The plain GAN's count is also derived by
hand from the layer sizes (`plain_game_flops`), as a check on the counter.

From these it prints what the issue's table (every default row x ring8, grid25 x 5 seeds x 25k G steps)
costs in CPU-hours as measured, and its floor: every counted FLOP at the peak, nothing else.

    python benchmarks/toy_cost.py                       # every default row, both protocols
    python benchmarks/toy_cost.py --rows gan --steps 200 --json /tmp/cost.json
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import FlopCounterMode
from toy_modes import PROTOCOLS, ROWS, run_overrides  # benchmarks/toy_modes.py, beside this script

from gankit.config import Config, load_config
from gankit.train.loop import Trainer

SEEDS, DATASETS = 5, ("ring8", "grid25")  # the table: 5 seeds on each data set
PLAIN_ROWS = ("gan", "pacgan2", "pacgan3", "pacgan4")  # the plain game: `plain_game_flops` counts them by hand
BOUND_HOURS, BOUND_CORES = 2.0, 2  # the acceptance: at most 2 hours on 2 CPU cores


def layer_sizes(net: nn.Module) -> list[tuple[int, int]]:
    """(in, out) of every linear map of an MLP in forward order; a maxout layer's map goes to out * pieces."""
    return [(m.in_features, m.out_features) for m in net.modules() if isinstance(m, nn.Linear)]


def plain_game_flops(cfg: Config, G: nn.Module, D: nn.Module) -> int:
    """Matmul FLOPs of one step of the plain game (one D phase, one G phase, fakes reused), from layer sizes.

    A linear map of n rows from `i` to `o` features costs 2*n*i*o FLOPs forward, as much again for the
    weight gradient when the layer is trained, and as much again for the input gradient unless the
    layer's input needs none (the first layer of a network fed by data or latents). D sees N / pack rows.

    D phase: G forward on N latents (its graph kept for the G phase); D forward and backward (weights
    and hidden inputs) on the reals and on the detached fakes. G phase: D forward on the kept fakes and
    its backward to the fakes (D frozen: no weight gradients); G backward (weights and hidden inputs).
    """
    n, pack = cfg.train.batch_size, getattr(cfg.discriminator, "pack", 1)
    assert cfg.train.reuse_fakes and cfg.train.d_steps == 1, "the hand count covers the plain game only"
    g_macs = sum(i * o for i, o in layer_sizes(G)) * n
    d_sizes = layer_sizes(D)
    d_macs = sum(i * o for i, o in d_sizes) * (n // pack)
    d_first = d_sizes[0][0] * d_sizes[0][1] * (n // pack)
    g_first = layer_sizes(G)[0][0] * layer_sizes(G)[0][1] * n
    d_phase = g_macs + 2 * d_macs + 2 * (d_macs + d_macs - d_first)
    g_phase = d_macs + d_macs + (g_macs + g_macs - g_first)
    return 2 * (d_phase + g_phase)


class MatmulFlops(TorchDispatchMode):
    """Counts matmul FLOPs with FlopCounterMode's formulas, without its module hooks (which break autograd.grad)."""

    def __init__(self) -> None:
        super().__init__()
        self.formulas, self.total = FlopCounterMode(display=False).flop_registry, 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = self.formulas.get(func._overloadpacket)
        if formula is not None:
            self.total += formula(*args, **kwargs, out_val=out)
        return out


def matmul_peak(n: int = 2048, repeats: int = 5) -> float:
    """The best fp32 GFLOP/s of an n x n matmul on this thread, timed in thread CPU time."""
    a, b, out = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
    torch.mm(a, b, out=out)
    best = float("inf")
    for _ in range(repeats):
        start = time.thread_time()
        torch.mm(a, b, out=out)
        best = min(best, time.thread_time() - start)
    return 2 * n**3 / best / 1e9


def measure(row, protocol, steps: int, warmup: int) -> dict:
    """Counted (and, for the plain game, hand-derived) GFLOP per step and CPU seconds per step of one cell."""
    cfg = load_config(protocol.preset, run_overrides(row, protocol, "ring8", protocol.steps))
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(cfg, Path(tmp) / "run", log=lambda *a, **k: None)
        for _ in range(warmup):
            trainer.run_step()
        with MatmulFlops() as counter:  # the gradient penalties' autograd.grad rules out FlopCounterMode's hooks
            trainer.run_step()
        start = time.thread_time()
        for _ in range(steps):
            trainer.run_step()
        cpu_s = (time.thread_time() - start) / steps
        by_hand = plain_game_flops(cfg, trainer.G, trainer.D) if row.name in PLAIN_ROWS else None
    return {
        "row": row.name,
        "protocol": protocol.name,
        "gflop_per_step": counter.total / 1e9,
        "gflop_per_step_by_hand": None if by_hand is None else by_hand / 1e9,
        "cpu_ms_per_step": cpu_s * 1000,
        "steps_per_cpu_s": 1 / cpu_s,
    }


def summary(cells: list[dict], peak: float, peaks: tuple[float, ...]) -> list[str]:
    """Per cell and in total: achieved GFLOP/s, CPU-hours of the full table, and its floor at each peak."""
    lines = [
        "| protocol | row | GFLOP/step (counted) | by hand | CPU ms/step | achieved GFLOP/s | "
        "CPU s per 25k-step run | floor s per run at " + " / ".join(f"{p:.0f}" for p in peaks) + " GFLOP/s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    total_cpu_s, total_flop = 0.0, 0.0
    for c in cells:
        steps = PROTOCOLS[c["protocol"]].steps
        run_s = c["cpu_ms_per_step"] / 1000 * steps
        flop = c["gflop_per_step"] * 1e9 * steps
        total_cpu_s += run_s * SEEDS * len(DATASETS)
        total_flop += flop * SEEDS * len(DATASETS)
        hand = "" if c["gflop_per_step_by_hand"] is None else f"{c['gflop_per_step_by_hand']:.4f}"
        floors = " / ".join(f"{flop / p / 1e9:.0f}" for p in peaks)
        lines.append(
            f"| {c['protocol']} | {c['row']} | {c['gflop_per_step']:.4f} | {hand} | {c['cpu_ms_per_step']:.2f} | "
            f"{c['gflop_per_step'] / c['cpu_ms_per_step'] * 1000:.1f} | {run_s:.0f} | {floors} |"
        )
    runs = len(cells) * SEEDS * len(DATASETS)
    bound_core_h = BOUND_HOURS * BOUND_CORES
    lines += [
        "",
        f"Full table: {runs} runs, {total_flop / 1e15:.2f} PFLOP counted. As measured: {total_cpu_s / 3600:.1f} "
        f"CPU-hours, {total_cpu_s / 3600 / BOUND_CORES:.1f} h on {BOUND_CORES} cores "
        f"({total_cpu_s / 3600 / bound_core_h:.1f}x the {BOUND_HOURS:g}-hour bound).",
    ]
    for p in peaks:
        floor_h = total_flop / (p * 1e9) / 3600
        lines.append(
            f"Floor at {p:.0f} GFLOP/s per core: {floor_h:.1f} core-hours, {floor_h / BOUND_CORES:.1f} h on "
            f"{BOUND_CORES} cores ({floor_h / bound_core_h:.1f}x the bound)."
        )
    lines.append(f"Measured single-thread fp32 matmul peak: {peak:.0f} GFLOP/s.")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", help="comma-separated row names (default: the table's rows)")
    parser.add_argument("--protocols", default="veegan,pacgan", help="comma-separated: veegan, pacgan")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per cell")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps before the count and the timing")
    parser.add_argument("--peak", type=float, default=90.0, help="a per-core GFLOP/s to price the floor at, too")
    parser.add_argument("--json", type=Path, help="also write every measurement to this JSON file")
    args = parser.parse_args()
    torch.set_num_threads(1)

    # Measure every cell, then the matmul peak on the same thread.
    rows = [r for r in ROWS if (r.name in args.rows.split(",") if args.rows else r.default)]
    cells = []
    for p in args.protocols.split(","):
        for row in rows:
            cells.append(measure(row, PROTOCOLS[p], args.steps, args.warmup))
            print(json.dumps(cells[-1]), flush=True)
    peak = matmul_peak()

    # Report.
    lines = summary(cells, peak, (args.peak, peak))
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({"command": " ".join(sys.argv), "peak": peak, "cells": cells}, indent=2))


if __name__ == "__main__":
    main()
