"""EQ-T / EQ-R of the StyleGAN3 digits presets against StyleGAN2, at initialization and after a short run.

Each row builds its preset's generator from the run seed, scores it, trains it with the ordinary
trainer for --kimg (one thread, in this process) and scores the EMA generator again. Scores are the
published PSNRs in dB (gankit.metrics.equivariance, peak 2 for [-1, 1] images) over --num-samples
latents; since a PSNR with a fixed peak also rewards a quiet output, each row gives the output RMS and
the score the generator would get at RMS 1 (PSNR + 20 log10 RMS). StyleGAN2 runs at 32x32 like the
StyleGAN3 presets; it has EQ-T through a Fourier shift of its 4x4 constant and no EQ-R.

    python benchmarks/equivariance.py --kimg 2 --num-samples 128 --write-docs
"""

import argparse
import json
import math
import platform
import sys
from pathlib import Path

import torch
from docs_section import write_section  # benchmarks/docs_section.py, beside this script

from gankit.config import load_config
from gankit.metrics.equivariance import equivariance
from gankit.nets import build_generator, count_params
from gankit.train.loop import Trainer, prepare_run_dir

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Equivariance of StyleGAN3 vs StyleGAN2 (EQ-T, EQ-R)"
ROWS = {
    "stylegan3-t-digits": [],
    "stylegan3-r-digits": [],
    "stylegan2-digits": ["data.resolution=32"],
}


def _score(G: torch.nn.Module, num_samples: int) -> dict[str, float]:
    """EQ scores and output RMS of G (eval mode, no noise), from a fixed latent stream."""
    kinds = ["eqt", "eqt_frac"] + (["eqr"] if hasattr(G.synthesis, "input") else [])
    scores = equivariance(G, kinds, num_samples=num_samples, batch_size=32, seed=0)
    with torch.no_grad():
        z = torch.randn(256, G.z_dim, generator=torch.Generator().manual_seed(1))
        img = G.eval().synthesis(G.mapping(z), noise_mode="none")
    scores["rms"] = img.square().mean().sqrt().item()
    return scores


def _row(preset: str, overrides: list[str], kimg: float, num_samples: int, out: Path) -> dict:
    """Score the preset's G at init, train for `kimg`, score G_ema; return the row."""
    schedule = [f"train.total_kimg={kimg}", f"train.tick_kimg={kimg / 2}", "metrics.names=[]"]
    cfg = load_config(preset, [*overrides, *schedule])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        G = build_generator(cfg)
    row = {"preset": preset, "params": count_params(G), "init": _score(G, num_samples)}

    # Train with the ordinary loop; sec/kimg is the trainer's own figure, averaged over the ticks.
    run_dir = out / preset
    trainer = Trainer(cfg, run_dir, log=lambda *a: None)
    prepare_run_dir(run_dir, cfg)
    trainer.train()
    ticks = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]
    row["sec_per_kimg"] = sum(t["sec_per_kimg"] for t in ticks) / len(ticks)
    row["kimg"] = trainer.nimg / 1000
    row["trained"] = _score(trainer.ema.G_ema, num_samples)
    return row


def _cell(scores: dict, kind: str) -> str:
    if kind not in scores:
        return "n/a"
    value = scores[kind]
    return f"{value:.1f} ({value + 20 * math.log10(scores['rms']):.1f})"


def _table(rows: list[dict], args: argparse.Namespace) -> str:
    lines = [
        SECTION,
        "",
        f"Command: `python benchmarks/equivariance.py --kimg {args.kimg} --num-samples {args.num_samples}"
        f"{' --write-docs' if args.write_docs else ''}` ({platform.processor() or platform.machine()}, "
        f"torch {torch.__version__}, 1 thread, shared 2-core machine).",
        "",
        "PSNR in dB as published (peak 2), in brackets the PSNR at output RMS 1 (PSNR + 20 log10 RMS), which",
        "removes the advantage of a quiet output. EQ-T: integer translations up to 1/8 of the width; EQ-T frac:",
        "subpixel translations (Lanczos-3 reference); EQ-R: any rotation (band-limited reference, pseudo-rotated",
        f"output). {args.num_samples} latents per score; each batch of 32 shares one transform. StyleGAN2 is the",
        "stylegan2-digits preset at 32x32: its input translation is a Fourier shift of the 4x4 constant, and",
        "it has no EQ-R. `trained` is G_ema after the short run; sec/kimg is the trainer's (per tick, mean).",
        "",
        "| preset | G params | when | EQ-T | EQ-T frac | EQ-R | output RMS | sec/kimg |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        for when in ("init", "trained"):
            s = row[when]
            label = "init" if when == "init" else f"{row['kimg']:.2f} kimg"
            speed = f"{row['sec_per_kimg']:.0f}" if when == "trained" else ""
            lines.append(
                f"| {row['preset']} | {row['params']:,} | {label} | {_cell(s, 'eqt')} | {_cell(s, 'eqt_frac')} | "
                f"{_cell(s, 'eqr')} | {s['rms']:.3f} | {speed} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kimg", type=float, default=2.0, help="training length per preset")
    parser.add_argument("--num-samples", type=int, default=128, help="latents per score")
    parser.add_argument("--presets", default=",".join(ROWS), help="comma-separated subset of the rows")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "bench-equivariance", help="run folders")
    parser.add_argument("--write-docs", action="store_true", help=f"replace the section in {DOCS.name}")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for preset in args.presets.split(","):
        if preset not in ROWS:
            sys.exit(f"--presets: '{preset}' is not a row; choose from {', '.join(ROWS)}")
        rows.append(_row(preset, ROWS[preset], args.kimg, args.num_samples, args.out))
        print(rows[-1], flush=True)
    table = _table(rows, args)
    print(table)
    if args.write_docs:
        write_section(DOCS, SECTION, table)


if __name__ == "__main__":
    main()
