"""Measure the demo preset's sample quality and write it to docs/benchmarks.md.

Trains the preset from scratch into a fresh run folder (or reads an existing one with --run),
evaluates the EMA generator with the digits network on 1,000 samples, and records the FID next
to its reference (a 1,000-image train-split subset against the test split), the share of
confidently classified samples and the smallest class share, with the wall time of training.

    python benchmarks/demo_quality.py --write-docs                 # train + evaluate (about 10 minutes)
    python benchmarks/demo_quality.py --run runs/demo --write-docs # evaluate an existing run
"""

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

from docs_section import write_section  # benchmarks/docs_section.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Demo quality (digits FID)"


def _gankit(*args: str) -> str:
    cmd = [sys.executable, "-m", "gankit", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="dcgan-digits-conditional")
    parser.add_argument("--run", type=Path, help="evaluate this run folder instead of training a new one")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="config override for training")
    parser.add_argument("--num-samples", type=int, default=1000)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    # Train (timed, as a subprocess, exactly as a user would) unless a run is given.
    train_s = None
    run = args.run
    if run is None:
        run = ROOT / "runs" / f"bench-{args.preset}-{time.strftime('%Y%m%d-%H%M%S')}"
        sets = [a for kv in args.overrides for a in ("--set", kv)]
        start = time.perf_counter()
        _gankit("train", "--preset", args.preset, "--out", str(run), *sets)
        train_s = time.perf_counter() - start

    # Evaluate and read back the records just written.
    print(_gankit("eval", "--run", str(run), "--num-samples", str(args.num_samples)))
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    fid = [r for r in records if r["metric"] == "fid"][-1]
    classes = [r for r in records if r["metric"] == "digits_classes"][-1]
    ticks = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    ok = fid["ratio"] <= 4 and classes["confident_share"] >= 0.7 and classes["min_class_share"] >= 0.03
    rows = [
        ("preset", f"`{args.preset}`" + (f" with `{' '.join(args.overrides)}`" if args.overrides else "")),
        (
            "training",
            f"{fid['kimg']:.0f} kimg, {ticks[-1]['time_s'] / 60:.1f} min in the loop"
            + (f", {train_s / 60:.1f} min wall for `gankit train`" if train_s else ""),
        ),
        ("digits FID (1,000 generated vs test split)", f"{fid['value']:.3f}"),
        ("reference FID (1,000 train images vs test split)", f"{fid['reference']:.3f}"),
        ("ratio (required <= 4, aim 2)", f"{fid['ratio']:.2f}x"),
        ("samples classified with confidence >= 0.9 (required >= 70%)", f"{classes['confident_share']:.1%}"),
        ("smallest class share (required >= 3%)", f"{classes['min_class_share']:.1%}"),
        ("class shares 0..9", " ".join(f"{s:.3f}" for s in classes["class_share"])),
        ("all requirements met", "yes" if ok else "no"),
    ]
    table = "| measure | value |\n| --- | --- |\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)
    command = "python benchmarks/demo_quality.py" + (f" --run {args.run}" if args.run else "") + " --write-docs"
    command += "".join(f" --set {kv}" for kv in args.overrides)
    body = (
        f"{SECTION}\n\nMeasured {time.strftime('%Y-%m-%d')} on {_cpu_model()} ({platform.machine()}), "
        f"feature network `{fid['feature_net']}` (sha256 {fid['feature_net_sha256'][:12]}...), "
        f"sample seed {fid['seed']}. Command: `{command}`.\n\n{table}\n"
    )
    print(body)
    if args.write_docs:
        write_section(DOCS, SECTION, body)


if __name__ == "__main__":
    main()
