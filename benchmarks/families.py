"""The post-DCGAN families on the built-in digits: conditional, unconditional at equal CPU time, stacked.

Three tables for docs/benchmarks.md, each row one preset trained from scratch in a worker process
(one thread each, `--jobs` at once) and scored with the shipped digits network:

- conditional: the share of samples the classifier assigns to the class that was asked for, the
  digits FID ratio of a class-balanced sample set, and the per-class FID ratio (samples of class k
  against the test digits of class k, over the same ratio for as many train digits of class k; the
  mean over classes and the worst class). Rows train for their preset's total_kimg (or --kimg).
- unconditional: DCGAN, SNGAN, SAGAN, BigGAN (without labels) and the multi-scale D, all at 32x32,
  each trained for the same CPU time (--cpu-minutes of process time: a watcher thread asks the
  trainer to stop, which saves a checkpoint at that step); digits FID ratio and kimg reached.
- stylegan: DCGAN, PGGAN, StyleGAN, StyleGAN2, StyleGAN3-T and -R, all at 32x32, at equal CPU time as
  above (the 16x16 StyleGAN presets are run at 32x32 here).
- stacked: DCGAN on stacked digits with and without PacGAN2 packing (D judges 2 samples at once,
  so G makes twice the batch), modes captured of 1,000 and KL to uniform on 26,000 samples
  (VEEGAN's protocol), beside the published Stacked-MNIST rows.

    python benchmarks/families.py --quick                      # wiring check: every row, a few kimg
    python benchmarks/families.py --sections conditional --jobs 2 --write-docs
    python benchmarks/families.py --sections unconditional --cpu-minutes 20 --write-docs
"""

import argparse
import json
import os
import platform
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from docs_section import write_section  # benchmarks/docs_section.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
SECTIONS = {
    "conditional": "## Class-conditional digits (requested class, per-class FID)",
    "unconditional": "## Unconditional digits at equal CPU time (families)",
    "stacked": "## Stacked digits (modes of 1,000)",
    "stylegan": "## PGGAN and the StyleGAN family on digits at equal CPU time",
}
EQUAL_CPU_SECTIONS = ("unconditional", "stylegan")
NUM_SAMPLES = 1000
STACKED_SAMPLES = 26_000
SAMPLE_SEED = 123
REFERENCE_SEED = 0
# The unconditional rows share 32x32 and widths 32 so that only the family differs.
DCGAN_32 = ["data.resolution=32", "generator.width=32", "discriminator.width=32"]

# Published Stacked-MNIST rows (modes of 1,000, KL to uniform), with their source.
PUBLISHED_STACKED = [
    ("DCGAN", 99, 3.40, "VEEGAN (Srivastava et al. 2017), Table 2"),
    ("Unrolled GAN", 48.7, 4.32, "VEEGAN, Table 2"),
    ("VEEGAN", 150, 2.95, "VEEGAN, Table 2"),
    ("PacDCGAN2", 1000, 0.06, "PacGAN (Lin et al. 2018), Table 3"),
    ("WGAN-GP", 995, 0.148, "GDPP (Elfeki et al. 2019), Table 2"),
    ("GDPP", 1000, 0.135, "GDPP, Table 2"),
]


@dataclass(frozen=True)
class Job:
    section: str
    row: str
    preset: str
    overrides: list[str] = field(default_factory=list)


JOBS = [
    Job("conditional", "projection cGAN", "cgan-projection-digits"),
    Job("conditional", "concat cGAN", "cgan-concat-digits"),
    Job("conditional", "AC-GAN", "acgan-digits"),
    Job("conditional", "BigGAN", "biggan-digits"),
    Job("conditional", "projection cGAN 16x16 (demo)", "dcgan-digits-conditional"),
    Job("unconditional", "DCGAN", "dcgan-digits", DCGAN_32),
    Job("unconditional", "SNGAN", "sngan-digits"),
    Job("unconditional", "SAGAN", "sagan-digits"),
    Job("unconditional", "BigGAN (no labels)", "biggan-digits", ["data.conditional=false"]),
    Job("unconditional", "DCGAN + multi-scale D", "dcgan-digits-multiscale"),
    Job("stylegan", "DCGAN", "dcgan-digits", DCGAN_32),
    Job("stylegan", "PGGAN", "pggan-digits"),
    Job("stylegan", "StyleGAN", "stylegan-digits", ["data.resolution=32"]),
    Job("stylegan", "StyleGAN2", "stylegan2-digits", ["data.resolution=32"]),
    Job("stylegan", "StyleGAN3-T", "stylegan3-t-digits"),
    Job("stylegan", "StyleGAN3-R", "stylegan3-r-digits"),
    Job("stacked", "DCGAN", "dcgan-stacked-digits"),
    Job("stacked", "PacDCGAN2", "dcgan-stacked-digits", ["discriminator.pack=2", "train.batch_size=64"]),
]


def _slug(job: Job) -> str:
    return f"{job.section}-{''.join(c if c.isalnum() else '-' for c in job.row.lower()).strip('-')}"


def train(job: Job, out: Path, kimg: float | None, cpu_seconds: float | None) -> dict:
    """Train one row from scratch (or reuse a finished folder); returns how far it got and what it cost."""
    from gankit.config import load_config
    from gankit.train.loop import Trainer, prepare_run_dir

    sets = list(job.overrides)
    if cpu_seconds is not None:
        sets.append("train.total_kimg=100000")  # the CPU budget ends the run, not the image count
    elif kimg is not None:
        sets += [f"train.total_kimg={kimg}", f"train.tick_kimg={min(10.0, kimg / 2)}"]
    cfg = load_config(job.preset, sets)
    trainer = Trainer(cfg, out, log=lambda *a, **k: None)
    prepare_run_dir(out, cfg)

    # Stop at the CPU budget: the trainer checks its stop flag at every step and saves a checkpoint there.
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    done = threading.Event()
    if cpu_seconds is not None:

        def watch() -> None:
            while not done.wait(0.5):
                if time.process_time() - start_cpu >= cpu_seconds:
                    trainer.stop.request("the benchmark's CPU budget")
                    return

        threading.Thread(target=watch, daemon=True).start()
    trainer.train()
    done.set()
    cpu_s, wall_s = time.process_time() - start_cpu, time.perf_counter() - start_wall
    return {"kimg": trainer.nimg / 1000, "cpu_s": cpu_s, "wall_s": wall_s, "cpu_share": cpu_s / max(wall_s, 1e-9)}


def _fid_ratio(net, fake: torch.Tensor, real: torch.Tensor, reference: torch.Tensor) -> tuple[float, float]:
    """(FID of fake vs real, that FID over the FID of an equally large reference set vs real)."""
    from gankit.metrics.feature_nets import extract
    from gankit.metrics.fid import fid_from_features

    real_f = extract(net, real)[0]
    fid = fid_from_features(extract(net, fake)[0], real_f)
    return fid, fid / fid_from_features(extract(net, reference)[0], real_f)


def score(job: Job, out: Path) -> dict:
    """The section's figures for the EMA generator of the run in `out`."""
    from gankit.data.digits import load_digits_dataset
    from gankit.metrics.digits_net import classify, load_digits_net
    from gankit.metrics.stacked_modes import mode_stats, triple_modes
    from gankit.run import Run

    run, net = Run.load(out), load_digits_net()
    res = run.cfg.data.resolution
    if job.section == "stacked":
        fake = run.sample(STACKED_SAMPLES, seed=SAMPLE_SEED).clamp(-1, 1)
        return mode_stats(triple_modes(net, fake))

    test, train_split = load_digits_dataset("test", res), load_digits_dataset("train", res)
    gen = torch.Generator().manual_seed(REFERENCE_SEED)
    ref_idx = torch.randperm(len(train_split), generator=gen)[:NUM_SAMPLES]
    # Clamp as every image writer does: StyleGAN outputs are linear and overshoot [-1, 1] a little.
    fake = run.sample(NUM_SAMPLES, seed=SAMPLE_SEED).clamp(-1, 1)  # conditional runs: classes in turn, balanced
    fid, ratio = _fid_ratio(net, fake, test.images, train_split.images[ref_idx])
    pred, conf = classify(net, fake)
    result = {"fid": fid, "ratio": ratio, "confident_share": float((conf >= 0.9).float().mean())}
    if job.section != "conditional":
        return result

    # How often the classifier sees the class that was asked for, and FID within each class.
    asked = run.labels(NUM_SAMPLES)
    result["requested_share"] = float((pred == asked).float().mean())
    per_class = []
    for k in range(run.num_classes):
        real_k, train_k = test.images[test.labels == k], train_split.images[train_split.labels == k]
        fake_k = run.sample(len(train_k), seed=SAMPLE_SEED + 1 + k, label=k).clamp(-1, 1)
        per_class.append(_fid_ratio(net, fake_k, real_k, train_k)[1])
    result["class_ratio_mean"] = float(np.mean(per_class))
    result["class_ratio_worst"] = float(np.max(per_class))
    result["class_ratio_worst_class"] = int(np.argmax(per_class))
    return result


def run_job(job: Job, out_root: Path, kimg: float | None, cpu_minutes: float | None) -> dict:
    """Train and score one row in this worker process; results are cached in the run folder."""
    torch.set_num_threads(1)
    out = out_root / _slug(job)
    cached = out / "benchmark.json"
    if cached.exists():
        return json.loads(cached.read_text())
    cpu_seconds = cpu_minutes * 60 if job.section in EQUAL_CPU_SECTIONS and cpu_minutes else None
    result = {"section": job.section, "row": job.row, "preset": job.preset, "overrides": job.overrides}
    result |= train(job, out, kimg, cpu_seconds)
    result |= score(job, out)
    cached.write_text(json.dumps(result, indent=1))
    return result


def _cmd(job: dict) -> str:
    sets = "".join(f" --set {s}" for s in job["overrides"])
    return f"`{job['preset']}`{sets}"


def table(section: str, results: list[dict]) -> str:
    rows = [r for r in results if r["section"] == section]
    if section == "conditional":
        lines = [
            "| model | preset | kimg | requested class | digits FID ratio | per-class FID ratio: mean | worst |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in rows:
            lines.append(
                f"| {r['row']} | {_cmd(r)} | {r['kimg']:.0f} | {r['requested_share']:.1%} | {r['ratio']:.2f}x | "
                f"{r['class_ratio_mean']:.2f}x | {r['class_ratio_worst']:.2f}x ({r['class_ratio_worst_class']}) |"
            )
        return "\n".join(lines)
    if section in EQUAL_CPU_SECTIONS:
        lines = [
            "| model | preset | CPU min | kimg reached | digits FID | ratio | confident |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in rows:
            lines.append(
                f"| {r['row']} | {_cmd(r)} | {r['cpu_s'] / 60:.1f} | {r['kimg']:.0f} | {r['fid']:.3f} | "
                f"{r['ratio']:.2f}x | {r['confident_share']:.1%} |"
            )
        return "\n".join(lines)
    lines = ["| model | source | modes (of 1,000) | KL |", "| --- | --- | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['row']} (gankit, {r['kimg']:.0f} kimg) | {_cmd(r)} | {r['modes']} | {r['kl']:.3f} |")
    for name, modes, kl, source in PUBLISHED_STACKED:
        lines.append(f"| {name} (published, Stacked MNIST) | {source} | {modes} | {kl} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--kimg", type=float, help="training length of conditional and stacked rows (default: preset)")
    parser.add_argument("--cpu-minutes", type=float, default=20.0, help="process CPU time of each equal-time row")
    parser.add_argument("--jobs", type=int, default=2, help="rows trained at once, one thread each")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "families")
    parser.add_argument("--quick", action="store_true", help="every row for 2 kimg (0.5 CPU min): a wiring check")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.kimg, args.cpu_minutes = 2.0, 0.5
        args.out = args.out.with_name(args.out.name + "-quick")
    sections = args.sections.split(",")
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        sys.exit(f"--sections: unknown {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    jobs = [j for j in JOBS if j.section in sections]

    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_job, j, args.out, args.kimg, args.cpu_minutes) for j in jobs]
        results = []
        for f in futures:
            results.append(f.result())
            print(json.dumps(results[-1]), flush=True)
    minutes = (time.perf_counter() - start) / 60
    low = [r["row"] for r in results if r["cpu_share"] < 0.9]

    for section in sections:
        text = table(section, results)
        print(f"\n{SECTIONS[section]}\n{text}")
        if args.write_docs and not args.quick:
            argv = " ".join(a for a in sys.argv[1:] if a != "--write-docs")
            header = (
                f"{SECTIONS[section]}\n\nMeasured {time.strftime('%Y-%m-%d')} on {platform.machine()} "
                f"({os.cpu_count()} CPUs, {args.jobs} rows at once, 1 thread each), {minutes:.0f} min for the "
                f"command `python benchmarks/families.py {argv}`. Scored with the shipped digits network; FID "
                f"ratios divide by the FID of as many real train digits against the test digits (1.0 = as good as "
                f"the data). Rows whose training got under 0.9 of a core (CPU share): {', '.join(low) or 'none'}.\n"
            )
            write_section(DOCS, SECTIONS[section], header + "\n" + text + "\n")


if __name__ == "__main__":
    main()
