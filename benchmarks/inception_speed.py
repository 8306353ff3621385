"""Inception feature extraction speed: gankit's FIDInceptionV3 against the reference pytorch-fid port, side by side.

Both networks get the same seeded stand-in weights (`gankit/metrics/seeded_weights.py`; the real file cannot be
downloaded here, and the weights' values do not change the cost) and the same seeded uint8 images, which each
pipeline turns into pool3 features its own way: gankit with `extract(net, images)`, pytorch-fid with
`model(images / 255)` as its `compute_statistics` does. Rounds alternate which implementation goes first; each
round is a fresh process per implementation (model construction is not timed; one warm-up batch is run first).
Per round the worker reports wall time, process CPU time and their ratio (the CPU share: on a shared machine it
shows how much of the wall time the process actually ran). The features of both are compared as a check.

Usage (the reference side runs in its own environment, e.g. the one `scripts/make_inception_fixture.sh` builds):
    python benchmarks/inception_speed.py --ref-python /tmp/refenv/bin/python --rounds 3 --images 16 --write-docs
"""

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Inception feature extraction speed (gankit vs pytorch-fid)"


def _seeded_module():
    spec = importlib.util.spec_from_file_location("seeded_weights", REPO / "gankit" / "metrics" / "seeded_weights.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reference_extractor(state: dict):
    """pytorch-fid's InceptionV3 with `state` fed to its own weight loader; returns images -> [N, 2048]."""
    for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        sys.modules[name] = types.ModuleType(name)  # see scripts/make_inception_fixture.py
    import pytorch_fid.inception as ref
    import torch

    ref.load_state_dict_from_url = lambda url, progress=True: state
    model = ref.InceptionV3([ref.InceptionV3.BLOCK_INDEX_BY_DIM[2048]], resize_input=True, normalize_input=True)
    model.eval()

    @torch.no_grad()
    def run(images, batch: int):
        out = [model(images[i : i + batch].float() / 255)[0].flatten(1) for i in range(0, len(images), batch)]
        return torch.cat(out).double().numpy()

    return run


def _gankit_extractor(state: dict):
    """gankit's FIDInceptionV3 with `state`; returns images -> [N, 2048] through `extract`."""
    sys.path.insert(0, str(REPO))
    from gankit.metrics.feature_nets import extract
    from gankit.metrics.inception import FIDInceptionV3

    net = FIDInceptionV3()
    net.load_state_dict(state)
    net.eval().requires_grad_(False)
    return lambda images, batch: extract(net, images, batch)[0]


def worker(args: argparse.Namespace) -> None:
    """Time one implementation on the seeded images; print one JSON line, save the features to args.features."""
    import torch

    torch.set_num_threads(args.threads)
    seeded = _seeded_module()
    state = seeded.seeded_state_dict(_inception_shapes(), 0)
    run = (_gankit_extractor if args.worker == "gankit" else _reference_extractor)(state)
    images = seeded.seeded_images([(args.images, 3, args.size, args.size)], 1)[0]
    run(images[: args.batch], args.batch)  # warm-up, not timed

    # Time the extraction.
    wall0, cpu0 = time.perf_counter(), time.process_time()
    feats = run(images, args.batch)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    np.save(args.features, feats)
    result = {"impl": args.worker, "images": args.images, "wall_s": wall, "cpu_s": cpu}
    result.update(img_per_s=args.images / wall, cpu_share=cpu / wall, threads=args.threads, torch=torch.__version__)
    print(json.dumps(result))


def _inception_shapes() -> dict:
    """The standard weight file's layout, read from gankit's network (used by both workers, so both match)."""
    import importlib

    sys.path.insert(0, str(REPO))
    inception = importlib.import_module("gankit.metrics.inception")
    return {k: tuple(v.shape) for k, v in inception.FIDInceptionV3().state_dict().items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref-python", default="/tmp/refenv/bin/python", help="python of the pytorch-fid env")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=64, help="input side length (resized to 299 by both)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--write-docs", action="store_true", help="write the section of docs/benchmarks.md")
    parser.add_argument("--worker", choices=["gankit", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--features", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    # Alternate the order of the implementations round by round.
    pythons = {"gankit": sys.executable, "reference": args.ref_python}
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "PYTHONPATH": str(REPO)}
    common = ["--images", str(args.images), "--batch", str(args.batch), "--size", str(args.size)]
    common += ["--threads", str(args.threads)]
    rows, max_diff = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            order = ["gankit", "reference"] if r % 2 == 0 else ["reference", "gankit"]
            feats = {}
            for impl in order:
                out = Path(tmp) / f"{impl}.npy"
                cmd = [pythons[impl], __file__, "--worker", impl, "--features", str(out), *common]
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
                rows.append({"round": r + 1, **json.loads(proc.stdout.strip().splitlines()[-1])})
                feats[impl] = np.load(out)
                print(json.dumps(rows[-1]), flush=True)
            max_diff = max(max_diff, float(np.abs(feats["gankit"] - feats["reference"]).max()))
    print(f"max |gankit - reference| feature difference: {max_diff:.3g}")
    if args.write_docs:
        _write_docs(rows, max_diff, args)


def _write_docs(rows: list[dict], max_diff: float, args: argparse.Namespace) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from docs_section import write_section

    lines = [
        SECTION,
        "",
        "gankit's `FIDInceptionV3` through `gankit.metrics.extract` against pytorch-fid 0.3.0's `InceptionV3` "
        f"(`resize_input=True, normalize_input=True`), both on {args.threads} thread(s), the same seeded stand-in "
        f"weights and the same {args.images} seeded uint8 images of {args.size}x{args.size} (resized to 299x299 by "
        f"each pipeline), batches of {args.batch}, a fresh process per implementation and round, order alternating. "
        "CPU share = process CPU time / wall time of the timed extraction (the machine's 2 cores are shared, so "
        "a share below 1 means the process waited for a core).",
        "",
        "| round | implementation | images/s | wall s | CPU s | CPU share |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['round']} | {row['impl']} | {row['img_per_s']:.2f} | {row['wall_s']:.2f} | {row['cpu_s']:.2f} "
            f"| {row['cpu_share']:.2f} |"
        )
    speed = {impl: [r["img_per_s"] for r in rows if r["impl"] == impl] for impl in ("gankit", "reference")}
    cpu_speed = {impl: [r["images"] / r["cpu_s"] for r in rows if r["impl"] == impl] for impl in speed}
    lines += [
        "",
        f"Median images/s: gankit {np.median(speed['gankit']):.2f}, pytorch-fid {np.median(speed['reference']):.2f} "
        f"(ratio {np.median(speed['gankit']) / np.median(speed['reference']):.2f}); per CPU second: gankit "
        f"{np.median(cpu_speed['gankit']):.2f}, pytorch-fid {np.median(cpu_speed['reference']):.2f}. Largest "
        f"feature difference between the two: {max_diff:.2g}. Machine: {platform.machine()}, "
        f"{os.cpu_count()} logical CPUs, torch {rows[0]['torch']}.",
        "",
        "Wall-clock images/s depend on what else runs on the machine at the time (see the CPU share of each "
        "round); images per CPU second compare the work each implementation does per image.",
        "",
        "Command:",
        "",
        "```",
        f"python benchmarks/inception_speed.py --ref-python REF_ENV/bin/python --rounds {args.rounds} "
        f"--images {args.images} --batch {args.batch} --size {args.size} --threads {args.threads} --write-docs",
        "```",
        "",
        "REF_ENV is a venv with pytorch-fid 0.3.0 and torchvision 0.28.0 (installed with `--no-deps`) that reuses "
        "gankit's torch 2.13.0 through a `.pth` file pointing at gankit's site-packages, so both sides run the "
        "same torch build.",
    ]
    write_section(REPO / "docs" / "benchmarks.md", SECTION, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
