"""Training throughput: gankit's trainer against a bare hand-written DCGAN loop, in one process.

Three loops train the same networks (`gankit.nets.build_networks`) on the same data with the same
optimizers, batch and memory format (channels_last), on the CPU:

- `gankit`: `Trainer.run_step()`, exactly what `gankit train` runs per step (plus EMA of G).
- `bare`: the textbook DCGAN step of PyTorch's examples/dcgan: fake = G(z); a D step on the reals
  and on fake.detach() as separate forward passes; a G step that reuses `fake` through D with the
  non-saturating loss. D's weights keep requires_grad in the G step, so D's weight gradients are
  computed there and thrown away, as in the example. No EMA.
- `bare-frozen-d`: the same step with D frozen during the G step, which is what gankit's G phase
  does; it is the like-for-like reference for the work each step does.

Rounds are interleaved (each round runs every loop, in a rotating order) and each round records
its CPU share (process CPU time / wall time / threads), so rounds in which other jobs took our
cores can be marked noisy and left out of the medians. FLOPs per step are counted with
FlopCounterMode; the fp32 peak is a timed square matmul in the same process.

    .venv/bin/python benchmarks/throughput.py                      # print the table
    .venv/bin/python benchmarks/throughput.py --write-docs         # also update docs/benchmarks.md
"""

import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from gankit.config import Config, load_config
from gankit.data import open_dataset, to_float
from gankit.nets import build_networks
from gankit.train.loop import Trainer, prepare_run_dir

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SECTION = "## Training throughput"
NOISY_SHARE = 0.9  # a round whose CPU share per thread is below this had its cores taken by other jobs
LOOPS = ("gankit", "bare", "bare-frozen-d")
LOOP_LABELS = {
    "gankit": "gankit `Trainer.run_step`",
    "bare": "bare textbook loop",
    "bare-frozen-d": "bare loop, D frozen in G step",
}


def like_for_like_overrides(preset: str, batch: int) -> list[str]:
    """Overrides that leave only what the bare loop also does (plus gankit's EMA, kept as in the preset)."""
    ema = load_config(preset).train.ema_halflife_kimg
    return [
        "augment.diffaugment=[]",
        "loss.r1_gamma=0",
        f"train.ema_halflife_kimg={ema}",
        f"train.batch_size={batch}",
        "train.device=cpu",
        "train.channels_last=true",
    ]


class BareLoop:
    """The textbook alternating D/G step on gankit's networks and data, with nothing else around it.

    Args:
        cfg: the same validated config gankit's trainer gets (networks, lrs, batch, data).
        freeze_d: freeze D's weights in the G step (as gankit does) instead of computing their gradients.
    """

    def __init__(self, cfg: Config, freeze_d: bool = False) -> None:
        t = cfg.train
        self.freeze_d, self.batch_size = freeze_d, t.batch_size
        self.images = open_dataset(cfg.data, "train", progress=False).images  # uint8 [N, C, H, W]
        G, D = build_networks(cfg)
        self.G = G.to(memory_format=torch.channels_last).train()
        self.D = D.to(memory_format=torch.channels_last).train()
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=t.lr_g, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=t.lr_d, betas=(0.5, 0.999))
        self.gen = torch.Generator().manual_seed(cfg.seed)

    def step(self) -> None:
        # Draw a random-index real batch and the latents.
        idx = torch.randint(len(self.images), (self.batch_size,), generator=self.gen)
        real_img = to_float(self.images[idx]).contiguous(memory_format=torch.channels_last)
        z = torch.randn(self.batch_size, self.G.z_dim, generator=self.gen)
        fake_img = self.G(z)

        # Update D: maximise log D(x) + log(1 - D(G(z))), in softplus form on logits.
        self.opt_d.zero_grad(set_to_none=True)
        loss_d = F.softplus(-self.D(real_img)).mean() + F.softplus(self.D(fake_img.detach())).mean()
        loss_d.backward()
        self.opt_d.step()

        # Update G: maximise log D(G(z)) on the same fakes (non-saturating loss).
        self.opt_g.zero_grad(set_to_none=True)
        self.D.requires_grad_(not self.freeze_d)
        loss_g = F.softplus(-self.D(fake_img)).mean()
        loss_g.backward()
        self.opt_g.step()
        self.D.requires_grad_(True)


def machine_info() -> dict:
    """nproc, CPU model, torch version and threads, for the record."""
    fields: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().split("\n\n")[0].splitlines():
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    model = fields.get("model name") or platform.processor() or "unknown"
    if "cpu family" in fields:
        model += f", family {fields['cpu family']} model {fields.get('model', '?')}"
    if "avx512f" in fields.get("flags", "").split():
        model += ", AVX-512"
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": model,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
    }


def timed(fn: Callable[[], None], repeats: int) -> tuple[float, float]:
    """(wall seconds, CPU share per thread) of `repeats` calls of `fn`."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(repeats):
        fn()
    wall = time.perf_counter() - wall0
    return wall, (time.process_time() - cpu0) / wall / torch.get_num_threads()


def matmul_peak(n: int = 2048, repeats: int = 5) -> dict:
    """The best fp32 GFLOP/s of an n x n matmul on all threads (2 n^3 flops per product)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    out = torch.empty(n, n)
    torch.mm(a, b, out=out)  # warm-up: thread pool and the BLAS kernels' first call
    runs = [timed(lambda: torch.mm(a, b, out=out), 1) for _ in range(repeats)]
    best_wall, best_share = min(runs)
    return {"gflops": 2 * n**3 / best_wall / 1e9, "n": n, "repeats": repeats, "cpu_share": best_share}


def count_flops(fn: Callable[[], None]) -> int:
    """Matmul and convolution FLOPs (forward and backward) of one call of `fn`."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def interleaved_rounds(steps: dict[str, Callable[[], None]], rounds: int, n_steps: int, warmup: int) -> list[dict]:
    """One record per loop and round; the loop order rotates every round so no loop always goes first."""
    names = list(steps)
    records = []
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            timed(steps[name], warmup)
            wall, share = timed(steps[name], n_steps)
            records.append({"round": r, "loop": name, "steps": n_steps, "wall_s": wall, "cpu_share": share})
    return records


def summarise(records: list[dict], batch: int) -> dict[str, dict]:
    """Per loop: median img/s over the clean rounds (over all rounds when none is clean, flagged)."""
    out = {}
    for name in dict.fromkeys(r["loop"] for r in records):
        mine = [r for r in records if r["loop"] == name]
        clean = [r for r in mine if r["cpu_share"] >= NOISY_SHARE]
        used = clean or mine
        out[name] = {
            "img_per_s": statistics.median(r["steps"] * batch / r["wall_s"] for r in used),
            "clean_rounds": len(clean),
            "rounds": len(mine),
            "all_noisy": not clean,
        }
    return out


def paired_ratio(records: list[dict], batch: int, a: str, b: str) -> float | None:
    """Median over rounds where both loops were clean of img/s(a) / img/s(b): neighbours in time share the noise."""
    by_round: dict[int, dict[str, float]] = {}
    for r in records:
        if r["cpu_share"] >= NOISY_SHARE:
            by_round.setdefault(r["round"], {})[r["loop"]] = r["steps"] * batch / r["wall_s"]
    ratios = [v[a] / v[b] for v in by_round.values() if a in v and b in v]
    return statistics.median(ratios) if ratios else None


def full_train(overrides: list[str], preset: str, n_steps: int, batch: int) -> dict:
    """One whole `Trainer.train()` of `n_steps` steps (4 ticks, no snapshot until the end), between two bare runs."""
    nimg = n_steps * batch
    cfg = load_config(
        preset,
        [
            *overrides,
            f"train.total_kimg={nimg / 1000}",
            f"train.tick_kimg={nimg / 4000}",
            "train.snapshot_ticks=1000000",
        ],
    )
    bare = BareLoop(cfg, freeze_d=True)
    timed(bare.step, 3)
    with tempfile.TemporaryDirectory() as tmp:
        # Build the trainer as `gankit train` does, then time the bare loop, train() and the bare loop again.
        run_dir = Path(tmp) / "run"
        trainer = Trainer(cfg, run_dir, log=lambda *args, **kwargs: None)
        prepare_run_dir(run_dir, cfg)
        bare_before = timed(bare.step, n_steps)
        with contextlib.redirect_stderr(io.StringIO()):  # no progress bar: this is not a terminal
            train_wall, train_share = timed(trainer.train, 1)
        bare_after = timed(bare.step, n_steps)
        ticks = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]
    bare_img_per_s = statistics.mean(nimg / w for w, _ in (bare_before, bare_after))
    return {
        "steps": n_steps,
        "kimg": nimg / 1000,
        "train_img_per_s": nimg / train_wall,
        "train_cpu_share": train_share,
        "tick_img_per_s": [t["img_per_sec"] for t in ticks],
        "bare_frozen_d_img_per_s": bare_img_per_s,
        "bare_cpu_share": [bare_before[1], bare_after[1]],
        "ratio": nimg / train_wall / bare_img_per_s,
    }


def results_table(summary: dict, flops: dict, peak_gflops: float, batch: int) -> list[str]:
    """Markdown rows: img/s, ratio to bare, counted FLOPs, achieved GFLOP/s and share of the matmul peak."""
    rows = [
        "| loop | img/s (median) | vs bare | clean rounds | GFLOP/step (counted) | achieved GFLOP/s | share of peak |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    bare = summary["bare"]["img_per_s"]
    for name, s in summary.items():
        gflops = flops[name] / 1e9 * s["img_per_s"] / batch
        clean = f"{s['clean_rounds']}/{s['rounds']}" + (" (all noisy)" if s["all_noisy"] else "")
        rows.append(
            f"| {LOOP_LABELS[name]} | {s['img_per_s']:.1f} | {s['img_per_s'] / bare:.3f} | {clean} "
            f"| {flops[name] / 1e9:.2f} | {gflops:.1f} | {gflops / peak_gflops:.1%} |"
        )
    return rows


def docs_section(result: dict) -> str:
    """The self-contained `## Training throughput` section for docs/benchmarks.md."""
    m, a, ft = result["machine"], result["args"], result.get("full_train")
    s = result["summary"]
    ratio, ratio_frozen = s["gankit"]["img_per_s"] / s["bare"]["img_per_s"], result["ratio_vs_frozen_d"]
    paired = [result["paired_ratio"], result["paired_ratio_vs_frozen_d"]]
    paired_text = ", ".join("n/a" if p is None else f"{p:.3f}" for p in paired)
    lines = [
        SECTION,
        "",
        f"Measured on {result['date']} by `benchmarks/throughput.py`, all loops in one process, interleaved.",
        "",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), torch {m['torch']}, threads: {m['threads']}, "
        f"Python {m['python']}; fp32 peak {result['peak']['gflops']:.1f} GFLOP/s "
        f"(best {result['peak']['n']}x{result['peak']['n']} matmul, timed in the same run).",
        f"- Command: `{result['command']}`",
        f"- Config: preset `{a['preset']}` with {', '.join(f'`{o}`' for o in result['overrides'])}; "
        f"batch {a['batch']}, {result['image_shape']} images, channels_last, float32.",
        f"- Rounds: {a['rounds']} x {a['steps']} timed steps per loop after {a['warmup']} warm-up steps; "
        f"a round whose CPU time / wall time / threads is below {NOISY_SHARE} is noisy and left out.",
        "",
        *results_table(s, result["flops"], result["peak"]["gflops"], a["batch"]),
        "",
        f"gankit / bare = **{ratio:.3f}** (target >= 0.95); gankit / bare with D frozen = **{ratio_frozen:.3f}**. "
        f"Medians of the per-round ratios (both loops clean in that round), same order: {paired_text}.",
    ]
    if ft:
        ticks = ", ".join(f"{v:.0f}" for v in ft["tick_img_per_s"])
        tick_ratio = statistics.median(ft["tick_img_per_s"]) / ft["bare_frozen_d_img_per_s"]
        lines += [
            "",
            f"One whole `Trainer.train()` of {ft['kimg']:.3f} kimg ({ft['steps']} steps, 4 ticks, the final sample "
            f"grid and checkpoint included): {ft['train_img_per_s']:.1f} img/s (CPU share "
            f"{ft['train_cpu_share']:.2f}), ticks {ticks} img/s; the frozen-D bare loop around it "
            f"{ft['bare_frozen_d_img_per_s']:.1f} img/s (mean of the runs before and after, CPU share "
            f"{min(ft['bare_cpu_share']):.2f} or more): ratio {ft['ratio']:.3f} for the whole call, "
            f"{tick_ratio:.3f} for the median tick. One run each, so this carries the round-to-round noise.",
        ]
        if min(ft["train_cpu_share"], *ft["bare_cpu_share"]) < NOISY_SHARE:
            lines[-1] += " **Noisy**: other jobs took a core during it, so do not read this ratio."
    lines += [
        "",
        "How to read it:",
        "- The bare loop is the textbook DCGAN step (PyTorch's examples/dcgan): G(z) once, D on reals and on the "
        "detached fakes as separate batches, G step through D on the same fakes, softplus (BCE-with-logits) "
        "losses, Adam (0.5, 0.999). It has no EMA of G; gankit updates one every step.",
        "- gankit freezes D in its G phase, so D's weight gradients are not computed there; the textbook loop "
        "computes and discards them. That is why gankit counts fewer FLOPs per step and can beat the textbook "
        "loop; the frozen-D bare loop does the same work as gankit and is the fair reference.",
        "- Achieved GFLOP/s uses each loop's own counted FLOPs (FlopCounterMode: convolutions and matmuls, "
        "forward and backward; elementwise work is not counted).",
        "- On 2 cores shared with other jobs, a round where another process takes one core runs several times "
        "slower (the two OpenMP threads wait for each other), hence the CPU-share filter.",
    ]
    return "\n".join(lines) + "\n"


def write_docs(section: str, machine: dict, path: Path = DOCS_PATH) -> None:
    """Replace (or append) the `## Training throughput` section, leaving other sections untouched."""
    if path.exists():
        text = path.read_text()
    else:
        text = (
            "# Benchmarks\n\n"
            "Speed and quality measurements of gankit. Each section is written by a script in `benchmarks/` and "
            "names the exact command it ran: rerun that command from the repository root to reproduce it "
            "(`make bench` runs the throughput benchmark). Numbers from different machines are not comparable.\n\n"
            f"Machine, unless a section says otherwise: {machine['nproc']} CPUs ({machine['cpu']}), no GPU, "
            f"torch {machine['torch']}, Python {machine['python']}, shared with other jobs.\n"
        )
    start = text.find(SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end:] if end >= 0 else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds per loop")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per loop and round")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps before each timed round")
    parser.add_argument("--batch", type=int, default=64, help="batch size for every loop")
    parser.add_argument("--preset", default="dcgan-digits", help="gankit preset (name or YAML path)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice, all cores)")
    parser.add_argument("--train-steps", type=int, default=64, help="steps of the whole train() run; 0 skips it")
    parser.add_argument("--write-docs", action="store_true", help=f"update the section in {DOCS_PATH.name}")
    parser.add_argument("--json", type=Path, help="also write every measurement to this JSON file")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    for key in ("rounds", "steps", "batch", "threads"):
        if getattr(args, key) is not None and getattr(args, key) < 1:
            parser.error(f"--{key}={getattr(args, key)} must be at least 1")
    if args.threads:
        torch.set_num_threads(args.threads)

    # Build gankit's trainer and the two bare loops from one config.
    overrides = like_for_like_overrides(args.preset, args.batch)
    cfg = load_config(args.preset, overrides)
    tmp = tempfile.TemporaryDirectory()
    trainer = Trainer(cfg, Path(tmp.name) / "run", log=lambda *a, **k: None)
    bare, frozen = BareLoop(cfg), BareLoop(cfg, freeze_d=True)
    steps = {"gankit": trainer.run_step, "bare": bare.step, "bare-frozen-d": frozen.step}
    print(f"machine: {machine_info()}")

    # Count FLOPs of one step each (this also warms every loop up), then measure the matmul peak.
    flops = {name: count_flops(fn) for name, fn in steps.items()}
    print("GFLOP/step: " + ", ".join(f"{k} {v / 1e9:.3f}" for k, v in flops.items()))
    peaks = [matmul_peak()]

    # Time interleaved rounds, then the peak again (the best of both is the peak).
    records = interleaved_rounds(steps, args.rounds, args.steps, args.warmup)
    for r in records:
        noisy = "  noisy" if r["cpu_share"] < NOISY_SHARE else ""
        rate = r["steps"] * args.batch / r["wall_s"]
        print(f"round {r['round']}  {r['loop']:<14} {rate:7.1f} img/s  cpu share {r['cpu_share']:.2f}{noisy}")
    peaks.append(matmul_peak())
    peak = max(peaks, key=lambda p: p["gflops"])
    print("fp32 matmul peak: " + ", ".join(f"{p['gflops']:.1f}" for p in peaks) + " GFLOP/s")
    tmp.cleanup()

    # Run one whole train() between two bare runs.
    ft = full_train(overrides, args.preset, args.train_steps, args.batch) if args.train_steps else None

    # Report.
    summary = summarise(records, args.batch)
    img_shape = f"{cfg.data.channels}x{cfg.data.resolution}x{cfg.data.resolution}"
    result = {
        "date": date.today().isoformat(),
        "command": " ".join([".venv/bin/python", "benchmarks/throughput.py", *argv]),
        "machine": machine_info(),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "overrides": overrides,
        "image_shape": img_shape,
        "peak": peak,
        "peaks": peaks,
        "flops": flops,
        "rounds": records,
        "summary": summary,
        "ratio_vs_frozen_d": summary["gankit"]["img_per_s"] / summary["bare-frozen-d"]["img_per_s"],
        "paired_ratio": paired_ratio(records, args.batch, "gankit", "bare"),
        "paired_ratio_vs_frozen_d": paired_ratio(records, args.batch, "gankit", "bare-frozen-d"),
        "full_train": ft,
    }
    # Save the results before printing them, so a closed stdout cannot lose them.
    section = docs_section(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if args.write_docs:
        write_docs(section, result["machine"])
    print()
    print(section)
    if args.write_docs:
        print(f"updated {DOCS_PATH}")
    return result


if __name__ == "__main__":
    main()
