"""StyleGAN2 training speed on CPU: gankit's side of the comparison with the official StyleGAN2-ADA code.

One measurement (`--measure`) builds the `stylegan2-digits` preset's trainer on the CPU in one thread
and runs `Trainer.run_step()` (data, D, lazy R1 every 16 steps, G, lazy path length every 4 steps,
EMA of G: everything `gankit train` does per step except ticks and snapshots): `--warmup-steps`
steps, then `--steps` timed ones, which cover whole 16-step cycles so the lazy phases run at their
share. It prints one JSON line: sec/kimg, CPU share (process CPU time / wall time; 1.0 means the one
thread had its core the whole time), peak resident memory of the process and the parameter counts.

The official implementation (NVlabs/stylegan2-ada-pytorch) is run by the person benchmarking, in its
own environment, on the same configuration and data (see docs/benchmarks.md, section "StyleGAN2
speed against the official implementation", for what was matched); nothing of it is part of gankit.
Its measurements are JSON lines of the same form with "impl": "official". `--write-docs FILE` reads
the rounds of both (interleaved, one process per measurement) and writes the medians to the docs.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/stylegan2_speed.py --measure --round 0 >> /tmp/sg2-speed.jsonl
    .venv/bin/python benchmarks/stylegan2_speed.py --write-docs /tmp/sg2-speed.jsonl [--notes NOTES.md]
"""

import argparse
import json
import platform
import resource
import statistics
import time
from datetime import date
from pathlib import Path

import torch

from benchmarks.docs_section import write_section
from gankit.config import load_config
from gankit.train.loop import Trainer

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SECTION = "## StyleGAN2 speed against the official implementation"
PRESET = "stylegan2-digits"
OVERRIDES = ["train.device=cpu"]
NOISY_SHARE = 0.9  # a measurement whose CPU share is below this had its core taken by other jobs


def measure(warmup_steps: int, steps: int, round_index: int, order: int = 0) -> dict:
    """Time `steps` trainer steps after `warmup_steps` untimed ones; sec/kimg, CPU share and peak memory."""
    torch.set_num_threads(1)
    cfg = load_config(PRESET, OVERRIDES)
    trainer = Trainer(cfg, Path("/nonexistent-not-written"), log=lambda *a: None)  # run_step writes nothing
    for _ in range(warmup_steps):
        trainer.run_step()

    # Time whole lazy-regularization cycles.
    nimg_start = trainer.nimg
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(steps):
        trainer.run_step()
    wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    kimg = (trainer.nimg - nimg_start) / 1000
    return {
        "impl": "gankit",
        "round": round_index,
        "order": order,
        "sec_per_kimg": wall / kimg,
        "cpu_sec_per_kimg": cpu / kimg,
        "cpu_share": cpu / wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # Linux reports KiB
        "steps": steps,
        "warmup_steps": warmup_steps,
        "kimg": kimg,
        "params_g": sum(p.numel() for p in trainer.G.parameters()),
        "params_d": sum(p.numel() for p in trainer.D.parameters()),
        "torch": torch.__version__,
    }


def summarize(records: list[dict]) -> dict[str, dict]:
    """Per implementation: medians over all rounds, and sec/kimg over the clean ones (CPU share >= NOISY_SHARE)."""
    out = {}
    for impl in ("gankit", "official"):
        rows = [r for r in records if r["impl"] == impl]
        clean = [r["sec_per_kimg"] for r in rows if r["cpu_share"] >= NOISY_SHARE]
        out[impl] = {
            "rounds": len(rows),
            "clean": len(clean),
            "sec_per_kimg": statistics.median(r["sec_per_kimg"] for r in rows),
            "clean_sec_per_kimg": statistics.median(clean) if clean else float("nan"),
            "cpu_sec_per_kimg": statistics.median(r["cpu_sec_per_kimg"] for r in rows),
            "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in rows),
            "cpu_share": statistics.median(r["cpu_share"] for r in rows),
        }
    return out


def docs_body(records: list[dict], results_path: Path, notes: str = "") -> str:
    """The docs section: method, command, per-round table, medians and `notes` (extra measured findings)."""
    summary = summarize(records)
    g, o = summary["gankit"], summary["official"]
    first = next(r for r in records if r["impl"] == "gankit")
    lines = [
        SECTION,
        "",
        f"Measured on {date.today().isoformat()}; tabulated by `benchmarks/stylegan2_speed.py`.",
        "",
        f"- gankit command, once per round: `OMP_NUM_THREADS=1 .venv/bin/python benchmarks/stylegan2_speed.py "
        f"--measure --warmup-steps {first['warmup_steps']} --steps {first['steps']} --round R`; tabulated with "
        f"`.venv/bin/python benchmarks/stylegan2_speed.py --write-docs {results_path} --notes NOTES.md`.",
        f"- Config: preset `{PRESET}` (16x16x1 digits, z and w 64, 8 mapping layers at lr x0.01, channels "
        "64/64/32 at 4/8/16 px, skip G, residual D with minibatch std group 4, batch 32, non-saturating loss, "
        "R1 gamma 0.1 every 16 steps, path length weight 2 every 4 steps on half the batch, style mixing 0.9, "
        f"EMA half-life 10 kimg with ramp-up 0.05), fp32, CPU, 1 thread. G {first['params_g']:,} and D "
        f"{first['params_d']:,} parameters on both sides.",
        f"- Each measurement is a fresh process: {first['warmup_steps']} warm-up steps, then "
        f"{first['steps']} timed steps ({first['kimg']:.3f} kimg, whole 16-step cycles). Rounds alternate "
        "the two implementations (which goes first alternates too). CPU share = process CPU time / wall time; "
        f"measurements below {NOISY_SHARE} are marked noisy (other jobs held the core). Peak memory is the "
        "process's peak resident set (ru_maxrss), libraries included.",
        "- Official side: NVlabs/stylegan2-ada-pytorch at its latest commit, in its own virtual environment "
        f"with torch {first['torch']}, run by a small driver (not in this repository) that builds its Generator, "
        "Discriminator and StyleGAN2Loss with the values above (channel_base 512, channel_max 64, "
        "num_fp16_res 0, conv_clamp None, no augmentation) and repeats training_loop's per-step body: the "
        "phases Gmain, Greg (every 4), Dmain, Dreg (every 16) with its lazy-regularization lr and beta "
        "correction, nan_to_num of the gradients, Adam, then its EMA update with the same half-life and "
        "ramp-up, reading a zip of the same 1,347 digits at 16x16 through its ImageFolderDataset and a "
        "DataLoader without worker processes. On the CPU its custom CUDA operators are not built: bias_act "
        "and upfirdn2d run their reference PyTorch paths and conv2d_gradfix falls back to torch's conv2d. "
        "One incompatibility with torch 2.13 had to be bridged in the driver, without editing the official "
        "files: its `misc.InfiniteSampler` passes the dataset to `torch.utils.data.Sampler.__init__`, which "
        "defines no __init__ of its own in torch 2.13 (the data_source argument is gone), so the call fails "
        "with TypeError: object.__init__() takes exactly one argument; the "
        "driver makes that call ignore its argument. Nothing else needed changing, and it printed no warning.",
        "",
        "| round | impl | sec/kimg (wall) | CPU s/kimg | CPU share | peak RSS (MB) |",
        "| ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in sorted(records, key=lambda r: (r["round"], r.get("order", 0))):
        flag = "" if r["cpu_share"] >= NOISY_SHARE else " (noisy)"
        lines.append(
            f"| {r['round']} | {r['impl']} | {r['sec_per_kimg']:.2f}{flag} | {r['cpu_sec_per_kimg']:.2f} | "
            f"{r['cpu_share']:.2f} | {r['peak_rss_mb']:.0f} |"
        )
    wall_ratio = o["sec_per_kimg"] / g["sec_per_kimg"]
    cpu_ratio = o["cpu_sec_per_kimg"] / g["cpu_sec_per_kimg"]
    lines += [
        "",
        "| impl | sec/kimg (wall, median) | CPU s/kimg (median) | CPU share (median) | clean rounds | peak RSS (MB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in (("gankit", g), ("official StyleGAN2-ADA", o)):
        lines.append(
            f"| {name} | {row['sec_per_kimg']:.2f} | {row['cpu_sec_per_kimg']:.2f} | {row['cpu_share']:.2f} | "
            f"{row['clean']}/{row['rounds']} | {row['peak_rss_mb']:.0f} |"
        )
    by_round = {}
    for r in records:
        by_round.setdefault(r["round"], {})[r["impl"]] = r
    pairs = [v for v in by_round.values() if len(v) == 2]
    round_cpu = statistics.median(v["official"]["cpu_sec_per_kimg"] / v["gankit"]["cpu_sec_per_kimg"] for v in pairs)
    round_wall = statistics.median(v["official"]["sec_per_kimg"] / v["gankit"]["sec_per_kimg"] for v in pairs)
    lines += [
        "",
        f"official / gankit: **{wall_ratio:.2f}x** in wall time per kimg, **{cpu_ratio:.2f}x** in CPU time per kimg "
        f"(ratios of the medians; medians of the {len(pairs)} per-round ratios: {round_wall:.2f}x wall, "
        f"{round_cpu:.2f}x CPU). The issue's aim: gankit at least 1.2x faster. "
        f"Machine: {platform.machine()}, torch {torch.__version__}, Python {platform.python_version()}.",
    ]
    if g["clean"] + o["clean"] < g["rounds"] + o["rounds"]:
        lines += [
            "",
            f"Rounds marked noisy ran with CPU share below {NOISY_SHARE}: other jobs held the machine's cores, "
            "which stretches wall time by an amount that differs from round to round. CPU time per kimg is "
            "the steadier figure then; the wall-time medians are over all rounds.",
        ]
    if notes.strip():
        lines += ["", notes.strip()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measure", action="store_true", help="Run one gankit measurement; print a JSON line.")
    parser.add_argument("--warmup-steps", type=int, default=16)
    parser.add_argument("--steps", type=int, default=48, help="Timed steps (a multiple of 16: whole R1 cycles).")
    parser.add_argument("--round", type=int, default=0, help="Round number recorded with the measurement.")
    parser.add_argument("--order", type=int, default=0, help="Position within the round (0: ran first).")
    parser.add_argument("--write-docs", type=Path, metavar="RESULTS", help="Tabulate a JSONL of both sides.")
    parser.add_argument("--notes", type=Path, help="Markdown appended to the section (profiles and other findings).")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.warmup_steps, args.steps, args.round, args.order)), flush=True)
    if args.write_docs:
        records = [json.loads(line) for line in args.write_docs.read_text().splitlines() if line.strip()]
        notes = args.notes.read_text() if args.notes else ""
        body = docs_body(records, args.write_docs, notes)
        write_section(DOCS_PATH, SECTION, body)
        print(body)
    if not args.measure and not args.write_docs:
        parser.error("pass --measure or --write-docs RESULTS")


if __name__ == "__main__":
    main()
