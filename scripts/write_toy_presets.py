"""Write gankit/presets/toy-<row>.yaml from the rows of benchmarks/toy_modes.py, so presets and benchmark agree.

python scripts/write_toy_presets.py
"""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import toy_modes  # noqa: E402

from gankit.config import PRESET_DIR, apply_override, load_preset  # noqa: E402

HEADERS = {
    "minimax": "Minimax (saturating) GAN on ring8: G minimises log(1 - D(G(z))) (Goodfellow et al. 2014, eq. 1).",
    "wgan-clip": "WGAN with weight clipping on ring8: critic weights in [-0.01, 0.01], RMSprop 5e-5, 5 critic "
    "steps per G step (Arjovsky et al. 2017, Algorithm 1).",
    "wgan-gp": "WGAN-GP on ring8: gradient penalty 10 at one random interpolate per sample, Adam 1e-4 with "
    "betas (0, 0.9), 5 critic steps per G step (Gulrajani et al. 2017, Algorithm 1).",
    "lsgan": "LSGAN on ring8: least-squares targets a=0, b=1, c=1 (Mao et al. 2017, eq. 2).",
    "hinge": "Hinge-loss GAN on ring8 (Lim & Ye 2017; the SNGAN/BigGAN loss).",
    "ragan": "Relativistic average GAN on ring8 (Jolicoeur-Martineau 2018, RaSGAN).",
    "ralsgan": "Relativistic average least-squares GAN on ring8 (Jolicoeur-Martineau 2018, RaLSGAN).",
    "r1": "Non-saturating GAN with R1 on reals (gamma 0.1, every step) on ring8 (Mescheder et al. 2018).",
    "dragan": "Non-saturating GAN with the DRAGAN penalty (lambda 10) on ring8 (Kodali et al. 2017).",
    "minibatch-disc": "Minibatch discrimination in D (10 kernels of dimension 3; cost grows with batch^2) on ring8 "
    "(Salimans et al. 2016).",
    "minibatch-std": "Minibatch standard deviation in D (groups of 4) on ring8 (Karras et al. 2018).",
    "unrolled-5": "Unrolled GAN with 5 look-ahead D steps on ring8 (Metz et al. 2017).",
    "pacgan2": "PacGAN2 on ring8: D judges 2 samples at once and sees 100 packed inputs per step (Lin et al. 2018).",
    "pacgan3": "PacGAN3 on ring8: D judges 3 samples at once and sees 100 packed inputs per step (Lin et al. 2018).",
    "pacgan4": "PacGAN4 on ring8: D judges 4 samples at once and sees 100 packed inputs per step (Lin et al. 2018).",
}


def main() -> None:
    for row in toy_modes.ROWS:
        if not row.preset:
            continue
        protocol = toy_modes.PROTOCOLS[row.home]
        raw = load_preset(protocol.preset)
        for assignment in toy_modes.run_overrides(row, protocol, "ring8", protocol.steps):
            apply_override(raw, assignment)
        text = (
            f"# {HEADERS[row.name]}\n"
            f"# {protocol.preset} (the {protocol.name} protocol, {protocol.steps:,} G steps) with: "
            f"{', '.join(row.overrides(protocol)) or 'no changes'}.\n"
            "# Written by scripts/write_toy_presets.py from benchmarks/toy_modes.py; edit the row there.\n"
        )
        (PRESET_DIR / f"{row.preset}.yaml").write_text(text + yaml.safe_dump(raw, sort_keys=False))
        print(f"wrote {row.preset}")


if __name__ == "__main__":
    main()
