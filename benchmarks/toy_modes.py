"""Mode collapse on the 2-D mixtures: the loss zoo and the remedies under the two published protocols.

Each run trains with the `gankit train` command (in one of `--jobs` worker processes, one thread each),
then scores 2,500 samples of the final G with the toy metrics (modes captured, high-quality share
within 3 std, reverse KL of the high-quality mode histogram against uniform). Rows are overrides
of a protocol preset (`toy-veegan`, `toy-pacgan`); the published figures of the same protocol are
printed beside gankit's, with their source.

    python benchmarks/toy_modes.py --quick                  # CI: VEEGAN protocol, 1 seed, 100 steps (about 3 min)
    python benchmarks/toy_modes.py                          # 5 seeds, both protocols, writes docs/benchmarks.md
    python benchmarks/toy_modes.py --rows gan,pacgan4 --protocols pacgan --seeds 1 --steps 5000
"""

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from docs_section import write_section  # benchmarks/docs_section.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Mode collapse on 2-D mixtures (toy modes)"
NUM_SAMPLES = 2_500
SAMPLE_SEED = 123


@dataclass(frozen=True)
class Protocol:
    """A published set of networks, optimizer and batch, as a preset; `steps` counts G steps."""

    name: str
    preset: str
    batch_size: int
    steps: int


@dataclass(frozen=True)
class Row:
    """One benchmark row: overrides of any protocol preset, and the preset that holds them on `home`."""

    name: str
    overrides: Callable[[Protocol], list[str]]
    preset: str | None = None  # gankit/presets/<preset>.yaml equals the home protocol plus these overrides
    home: str = "veegan"
    default: bool = True  # in the table; other rows run only when named with --rows


PROTOCOLS = {
    "veegan": Protocol("veegan", "toy-veegan", 512, 25_000),
    "pacgan": Protocol("pacgan", "toy-pacgan", 100, 25_000),
}


def _fixed(*overrides: str) -> Callable[[Protocol], list[str]]:
    return lambda protocol: list(overrides)


def _packed(m: int) -> Callable[[Protocol], list[str]]:
    # D sees as many packed inputs per step as the protocol's batch, so G makes m times the samples (PacGAN).
    return lambda protocol: [f"discriminator.pack={m}", f"train.batch_size={protocol.batch_size * m}"]


ROWS = [
    Row("gan", _fixed()),
    Row("minimax", _fixed("loss.name=minimax"), "toy-minimax"),
    Row(
        "wgan-clip",
        _fixed(
            "loss.name=wgan",
            "loss.options.weight_clip=0.01",
            "train.optimizer=rmsprop",
            "train.lr_g=0.00005",
            "train.lr_d=0.00005",
            "train.d_steps=5",
        ),
        "toy-wgan-clip",
    ),
    Row(
        "wgan-gp",
        _fixed(
            "loss.name=wgan-gp",
            "loss.gp_weight=10",
            "train.lr_g=0.0001",
            "train.lr_d=0.0001",
            "train.betas_g=[0.0, 0.9]",
            "train.betas_d=[0.0, 0.9]",
            "train.d_steps=5",
        ),
        "toy-wgan-gp",
    ),
    Row("lsgan", _fixed("loss.name=lsgan"), "toy-lsgan"),
    Row("hinge", _fixed("loss.name=hinge"), "toy-hinge"),
    Row("ragan", _fixed("loss.name=ragan"), "toy-ragan"),
    Row("r1", _fixed("loss.r1_gamma=0.1", "loss.r1_interval=1"), "toy-r1"),
    Row(
        "minibatch-disc",
        _fixed("discriminator.minibatch_kernels=10", "discriminator.minibatch_kernel_dim=3"),
        "toy-minibatch-disc",
    ),
    Row("unrolled-5", _fixed("train.game=unrolled", "train.unroll_steps=5"), "toy-unrolled"),
    Row("pacgan2", _packed(2), "toy-pacgan2", home="pacgan"),
    Row("pacgan3", _packed(3), "toy-pacgan3", home="pacgan"),
    Row("pacgan4", _packed(4), "toy-pacgan4", home="pacgan"),
    Row("ralsgan", _fixed("loss.name=ralsgan"), "toy-ralsgan", default=False),
    Row("dragan", _fixed("loss.dragan_weight=10"), "toy-dragan", default=False),
    Row("minibatch-std", _fixed("discriminator.minibatch_std_group=4"), "toy-minibatch-std", default=False),
]

# Published figures as (modes, high-quality %, reverse KL or None) for (ring8, grid25), by protocol.
PUBLISHED = {
    "veegan": [
        ("GAN", "gan", (1, 99.3, None), (3.3, 0.5, None), "VEEGAN (Srivastava et al. 2017), Table 1"),
        ("Unrolled GAN", "unrolled-5", (7.6, 35.6, None), (23.6, 16.0, None), "VEEGAN, Table 1"),
        ("VEEGAN", None, (8, 52.9, None), (24.6, 40.0, None), "VEEGAN, Table 1"),
        ("WGAN-GP", "wgan-gp", (6.8, 59.6, None), (24.2, 28.7, None), "GDPP (Elfeki et al. 2019), Table 1"),
        ("GDPP", None, (8, 71.7, None), (24.8, 68.5, None), "GDPP, Table 1"),
    ],
    "pacgan": [
        ("GAN", "gan", (6.3, 98.2, 0.45), (17.3, 94.8, 0.70), "PacGAN (Lin et al. 2018), Table 1"),
        ("PacGAN4", "pacgan4", (7.8, 95.9, 0.07), (24.8, 93.6, 0.04), "PacGAN, Table 1"),
    ],
}


@dataclass
class Result:
    row: str
    protocol: str
    data: str
    seeds: list[int]
    stats: list[dict] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def run_overrides(row: Row, protocol: Protocol, data: str, steps: int) -> list[str]:
    """Every override of one run: the row's, the data set, and the budget in kimg for `steps` G steps."""
    from gankit.config import load_config

    sets = [*row.overrides(protocol), f"data.source={data}"]
    cfg = load_config(protocol.preset, sets)
    kimg_per_step = cfg.train.batch_size * cfg.train.d_steps / 1000  # D images per G step
    total = steps * kimg_per_step
    return [*sets, f"train.total_kimg={total:g}", f"train.tick_kimg={max(total / 10, kimg_per_step):g}"]


def train_and_score(
    row_name: str, protocol_name: str, data: str, seed: int, steps: int, out: Path
) -> tuple[dict, float]:
    """Train one run with the `gankit train` command and score its G on NUM_SAMPLES samples.

    The command runs inside this worker process (a fresh interpreter per run would spend most of a
    short run importing torch); its output goes to `out/train.txt`. Returns (stats, CPU seconds).
    """
    import contextlib

    from gankit.cli import main as gankit_main
    from gankit.data.points import mixture
    from gankit.metrics.toy_modes import mode_stats
    from gankit.run import Run

    row, protocol = next(r for r in ROWS if r.name == row_name), PROTOCOLS[protocol_name]
    sets = [*run_overrides(row, protocol, data, steps), f"seed={seed}", "train.snapshot_ticks=10"]
    argv = ["train", "--preset", protocol.preset, "--out", str(out), *[a for kv in sets for a in ("--set", kv)]]
    out.mkdir(parents=True, exist_ok=True)
    start = time.process_time()
    with (out / "train.txt").open("w") as log, contextlib.redirect_stdout(log):
        gankit_main(argv, standalone_mode=False)
    seconds = time.process_time() - start
    mix = mixture(data)
    samples = Run.load(out).sample(NUM_SAMPLES, seed=SAMPLE_SEED)
    return mode_stats(samples, mix.centres, mix.std).as_dict(), seconds


def _init_worker() -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)


def _mean_std(values: list[float], fmt: str) -> str:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "n/a"
    if len(values) == 1:
        return fmt.format(values[0])
    return f"{fmt.format(statistics.mean(values))} ± {fmt.format(statistics.stdev(values))}"


def _cell(stats: list[dict]) -> str:
    modes = _mean_std([s["modes"] for s in stats], "{:.1f}")
    hq = _mean_std([100 * s["hq_share"] for s in stats], "{:.1f}")
    kl = _mean_std([s["reverse_kl"] for s in stats], "{:.2f}")
    return f"{modes} / {hq}% / {kl}"


def _published_cell(fig: tuple) -> str:
    modes, hq, kl = fig
    return f"{modes} / {hq}%" + (f" / {kl}" if kl is not None else "")


def table(results: list[Result], protocols: list[str], steps: dict[str, int]) -> str:
    """Markdown: gankit's rows, then the published rows of the same protocol."""
    lines = []
    for p in protocols:
        proto = PROTOCOLS[p]
        lines += [
            f"\n**{p} protocol** (`{proto.preset}`, {steps[p]:,} G steps; cells: modes / high-quality % / "
            "reverse KL, mean ± std over seeds)\n",
            *(
                [f"Below the protocol's {proto.steps:,} steps: not comparable with the published rows yet.\n"]
                if steps[p] < proto.steps
                else []
            ),
            "| row | ring8 | grid25 | CPU s per run (ring8, grid25) | seeds |",
            "| --- | --- | --- | --- | --- |",
        ]
        by_row = {}
        for r in results:
            if r.protocol == p:
                by_row.setdefault(r.row, {})[r.data] = r
        for name, cells in by_row.items():
            ring, grid = cells.get("ring8"), cells.get("grid25")
            secs = ", ".join(f"{statistics.mean(c.seconds):.0f}" if c else "-" for c in (ring, grid))
            seeds = len((ring or grid).seeds)
            ring_cell = _cell(ring.stats) if ring else "-"
            grid_cell = _cell(grid.stats) if grid else "-"
            lines.append(f"| gankit {name} | {ring_cell} | {grid_cell} | {secs} | {seeds} |")
        for label, _, ring, grid, source in PUBLISHED[p]:
            lines.append(f"| published {label} ({source}) | {_published_cell(ring)} | {_published_cell(grid)} | | |")
    return "\n".join(lines) + "\n"


def kept_subsections(docs: Path) -> str:
    """The `### ` subsections of this section in `docs` (dated records of other runs), kept on a rewrite."""
    text = docs.read_text() if docs.exists() else ""
    start = text.find(SECTION + "\n")
    if start < 0:
        return ""
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end if end >= 0 else len(text)]
    sub = section.find("\n### ")
    return "\n" + section[sub:].strip("\n") + "\n" if sub >= 0 else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI mode: VEEGAN protocol, 1 seed, 100 steps")
    parser.add_argument("--rows", help="comma-separated row names (default: all)")
    parser.add_argument("--protocols", help="comma-separated: veegan, pacgan (default: both)")
    parser.add_argument("--data", default="ring8,grid25", help="comma-separated: ring8, grid25")
    parser.add_argument("--seeds", type=int, help="seeds per cell (default 5; quick: 1)")
    parser.add_argument("--steps", type=int, help="G steps per run (default: the protocol's; quick: 150)")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once, one thread each")
    parser.add_argument("--write-docs", action="store_true", help="write the table to docs/benchmarks.md")
    args = parser.parse_args()

    # Pick the cells.
    protocols = (args.protocols or ("veegan" if args.quick else "veegan,pacgan")).split(",")
    rows = [r for r in ROWS if (r.name in args.rows.split(",") if args.rows else r.default)]
    seeds = list(range(args.seeds or (1 if args.quick else 5)))
    steps = {p: args.steps or (100 if args.quick else PROTOCOLS[p].steps) for p in protocols}
    results = [Result(r.name, p, d, seeds) for p in protocols for r in rows for d in args.data.split(",")]

    # Train and score every run.
    start = time.perf_counter()
    pool = ProcessPoolExecutor(args.jobs, initializer=_init_worker)
    with tempfile.TemporaryDirectory(prefix="toy-modes-") as tmp, pool:
        jobs = []
        for seed in seeds:  # seed-major: a run stopped early still has every cell's first seeds
            for res in results:
                out = Path(tmp) / f"{res.protocol}-{res.row}-{res.data}-{seed}"
                args_ = (res.row, res.protocol, res.data, seed, steps[res.protocol], out)
                jobs.append((res, seed, pool.submit(train_and_score, *args_)))
        for res, seed, job in jobs:
            stats, seconds = job.result()
            res.stats.append(stats)
            res.seconds.append(seconds)
            line = f"{res.protocol:<7} {res.row:<15} {res.data:<7} seed {seed} {json.dumps(stats)} {seconds:.0f}s"
            print(line, flush=True)
    total_min = (time.perf_counter() - start) / 60

    # Print the table beside the published figures, and write it to the docs when asked.
    command = "python benchmarks/toy_modes.py " + " ".join(sys.argv[1:])
    body = (
        f"{SECTION}\n\nMeasured {time.strftime('%Y-%m-%d')} on {platform.machine()} "
        f"({os.cpu_count()} CPUs, {args.jobs} runs at once, 1 thread each), {total_min:.1f} min in all. "
        f"Command: `{command.strip()}`. Each run scores {NUM_SAMPLES:,} samples of the final G (sample seed "
        f"{SAMPLE_SEED}); published figures are as reported by the cited papers for their own protocol.\n"
        f"{table(results, protocols, steps)}"
    )
    print(body)
    if args.write_docs:
        write_section(DOCS, SECTION, body + kept_subsections(DOCS))


if __name__ == "__main__":
    main()
