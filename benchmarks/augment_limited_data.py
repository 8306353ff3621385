"""Digits FID with limited training data: no augmentation vs DiffAugment vs ADA (issue 7's benchmark).

For every training-set size (a fixed class-balanced subset, `data.max_images`), augmentation and
seed, trains the matching preset (`dcgan-digits`, `dcgan-digits-diffaug`, `dcgan-digits-ada`)
from scratch as a subprocess, evaluates the EMA generator with the digits network (`gankit eval`)
and runs a leak check: the share of generated digits that the shipped classifier recognises
(confidence >= 0.9) only after a 90/180/270-degree rotation or a mirror (confidence < 0.5 as
they are), next to the same share for the real test digits. ADA leaks when that share rises above the real data's.

    python benchmarks/augment_limited_data.py --smoke                  # one tiny run per augmentation
    python benchmarks/augment_limited_data.py --kimg 300 --write-docs  # the full grid: 3 x 3 x 3 runs (hours on CPU)
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from docs_section import write_section  # benchmarks/docs_section.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Augmentation with limited data (digits FID)"
PRESETS = {"none": "dcgan-digits", "diffaugment": "dcgan-digits-diffaug", "ada": "dcgan-digits-ada"}
FULL_TRAIN = 1347  # images in the digits train split


def _gankit(*args: str) -> str:
    cmd = [sys.executable, "-m", "gankit", *args]
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=env).stdout


def seen_as_moved_share(images: torch.Tensor) -> float:
    """Share of images [N, 1, H, W] in [-1, 1] the digits classifier recognises only rotated or mirrored."""
    from gankit.metrics.digits_net import classify, load_digits_net

    net = load_digits_net()
    _, conf = classify(net, images)
    moved = [torch.rot90(images, k, dims=(2, 3)) for k in (1, 2, 3)] + [images.flip(3)]
    best_moved = torch.stack([classify(net, m)[1] for m in moved]).amax(dim=0)
    return float(((best_moved >= 0.9) & (conf < 0.5)).float().mean())


def run_one(out: Path, aug: str, size: int | None, seed: int, kimg: float, num_samples: int) -> dict:
    """Train and evaluate one configuration; returns its FID record and leak share."""
    from gankit.run import Run

    # Train from scratch unless this run folder is already complete.
    run = out / f"{aug}-n{size or 'all'}-s{seed}"
    sets = [f"seed={seed}", f"train.total_kimg={kimg}", f"train.tick_kimg={min(10.0, kimg / 2)}"]
    sets += [f"data.max_images={size}"] if size else []
    start = time.perf_counter()
    overrides = [a for s in sets for a in ("--set", s)]
    _gankit("train", "--preset", PRESETS[aug], "--out", str(run), "--resume", "auto", *overrides)
    train_s = time.perf_counter() - start

    # Evaluate the EMA generator and check for leaked rotations or mirrors.
    _gankit("eval", "--run", str(run), "--num-samples", str(num_samples))
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    fid = [r for r in records if r["metric"] == "fid"][-1]
    ticks = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    fake = Run.load(run).sample(num_samples, seed=fid["seed"])
    return {
        "aug": aug,
        "size": size or FULL_TRAIN,
        "seed": seed,
        "fid": fid["value"],
        "ratio": fid["ratio"],
        "moved_share": seen_as_moved_share(fake),
        "aug_p": ticks[-1].get("aug_p"),
        "train_s": train_s,
    }


def table(results: list[dict], real_moved: float) -> str:
    """Markdown rows: mean and spread over seeds per (size, augmentation), and the cut versus no augmentation."""
    rows = ["| train images | augmentation | seeds | digits FID (mean +- sd) | ratio | vs none | seen moved | p |"]
    rows.append("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in sorted({r["size"] for r in results}):
        base = [r["fid"] for r in results if r["size"] == size and r["aug"] == "none"]
        for aug in PRESETS:
            group = [r for r in results if r["size"] == size and r["aug"] == aug]
            if not group:
                continue
            fids = np.array([r["fid"] for r in group])
            cut = f"{1 - fids.mean() / np.mean(base):+.0%}" if base and aug != "none" else ""
            p = [r["aug_p"] for r in group if r["aug_p"] is not None]
            rows.append(
                f"| {size} | {aug} | {len(group)} | {fids.mean():.3f} +- {fids.std():.3f} | "
                f"{np.mean([r['ratio'] for r in group]):.2f}x | {cut} | "
                f"{np.mean([r['moved_share'] for r in group]):.1%} | {f'{np.mean(p):.3f}' if p else '-'} |"
            )
    rows.append(f"\nReal test digits seen moved: {real_moved:.1%} (the leak check's reference level).")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,300,all", help="training-set sizes, 'all' for the whole split")
    parser.add_argument("--augs", default=",".join(PRESETS))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--kimg", type=float, default=300.0, help="training length of every run")
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "augment-limited-data")
    parser.add_argument("--smoke", action="store_true", help="100 images, seed 0, 1 kimg, 200 samples: a wiring check")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument(
        "--from-results",
        type=Path,
        nargs="+",
        help="skip training: tabulate the results.json files of earlier runs (e.g. one per seed, run in parallel)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.smoke:
        args.sizes, args.seeds, args.kimg, args.num_samples = "100", "0", 1.0, 200
    sizes = [None if s == "all" else int(s) for s in args.sizes.split(",")]
    augs, seeds = args.augs.split(","), [int(s) for s in args.seeds.split(",")]

    # Train and evaluate the grid, printing each result as it comes (or read earlier results).
    results = []
    if args.from_results:
        results = [r for path in args.from_results for r in json.loads(path.read_text())]
    for size in sizes if not args.from_results else []:
        for aug in augs:
            for seed in seeds:
                results.append(run_one(args.out, aug, size, seed, args.kimg, args.num_samples))
                print(json.dumps(results[-1]), flush=True)
    if not args.from_results:
        (args.out / "results.json").write_text(json.dumps(results, indent=1))

    # Summarise, with the real data's leak-check level.
    from gankit.data.dataset import to_float
    from gankit.data.digits import load_digits_dataset

    real_moved = seen_as_moved_share(to_float(load_digits_dataset("test", 16).images))
    command = "python benchmarks/augment_limited_data.py " + " ".join(sys.argv[1:])
    body = (
        f"{SECTION}\n\nMeasured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {args.kimg:g} kimg per run, "
        f"FID of {args.num_samples} samples against the test split (digits network). Command: `{command}`.\n\n"
        f"{table(results, real_moved)}\n"
    )
    print(body)
    if args.write_docs and not args.smoke:
        write_section(DOCS, SECTION, body)


if __name__ == "__main__":
    main()
