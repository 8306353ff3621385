"""The `gankit` command: train, sample, eval, presets."""

import sys
from pathlib import Path

import click

from gankit.errors import GankitError

SEED = click.IntRange(0, 2**63 - 1)


def pick_device(kind: str):
    from gankit.train.loop import pick_device as pick

    return pick(kind)


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


class _Group(click.Group):
    """Print gankit's own errors as one line without a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GankitError as exc:
            _fail(exc)
        except OSError as exc:
            from gankit.train.durable import describe_os_error

            message = describe_os_error(exc)
            if message is None:  # e.g. a missing or non-folder parent of an output path
                where = f"'{exc.filename}'" if exc.filename else "a file"
                message = f"cannot use {where}: {exc.strerror or exc}; check the path"
            _fail(message)
        except NotImplementedError as exc:
            _fail(f"not supported yet: {exc}")
        except (MemoryError, RuntimeError) as exc:
            if not isinstance(exc, MemoryError) and "allocate" not in str(exc):
                raise
            _fail(
                "out of memory: the request needs more memory than this machine has; lower the sizes involved "
                "(generator/discriminator width and z_dim, batch size, -n / --num-samples, the number of classes)"
            )


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gankit")
def main() -> None:
    """Train, evaluate and use GANs. Start with `gankit presets` and `gankit train --preset dcgan-digits`."""


@main.command()
@click.option("--preset", required=True, help="A preset name (see `gankit presets`) or a YAML file path.")
@click.option("--out", type=click.Path(path_type=Path), help="Run folder (default: runs/PRESET).")
@click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a config key, e.g. train.lr_g=1e-4."
)
@click.option("--resume", metavar="auto|PATH", help="auto: continue the run folder's latest good checkpoint if any.")
@click.option("--dry-run", is_flag=True, help="Validate, build everything, print the set-up and exit.")
def train(preset: str, out: Path | None, overrides: tuple[str, ...], resume: str | None, dry_run: bool) -> None:
    """Train a GAN from a preset with optional overrides."""
    from gankit.config import load_config
    from gankit.train import checkpoint as ckpt
    from gankit.train.distributed import shutdown_distributed
    from gankit.train.loop import Trainer, prepare_run_dir
    from gankit.train.pictures import save_reals_picture
    from gankit.train.resume import check_compatible, restore_newest, resume_candidates
    from gankit.train.stats import truncate_log

    # Validate the config and the resume target before touching the disk.
    cfg = load_config(preset, list(overrides))
    if out is not None and str(out).strip() in ("", "."):
        raise GankitError(f"--out {str(out)!r}: name a run folder, e.g. --out runs/NAME (not the current folder)")
    run_dir = out or Path("runs") / Path(preset).stem
    if run_dir.exists() and not run_dir.is_dir():
        raise GankitError(f"--out {run_dir} is a file; the run folder must be a folder (new or earlier run)")
    candidates = resume_candidates(run_dir, resume)
    if not candidates and not resume and not dry_run and ckpt.list_checkpoints(run_dir / "checkpoints"):
        raise GankitError(
            f"run folder '{run_dir}' already holds checkpoints; pass --resume auto to continue it or --out a new folder"
        )
    if candidates:
        check_compatible(cfg, candidates[0])
    trainer = Trainer(cfg, run_dir)
    log = trainer.log
    if dry_run:
        log(trainer.describe())
        log("dry run: nothing written")
        return

    # Write the run folder, then restore the newest checkpoint that loads.
    config_path = prepare_run_dir(run_dir, cfg) if trainer.dist.is_main else None
    log(trainer.describe(config_path))
    if candidates:
        log(restore_newest(trainer, candidates))
    if not candidates and trainer.dist.is_main:
        save_reals_picture(trainer.dataset, run_dir / "samples" / "reals.png")
        if truncate_log(run_dir / "log.jsonl", 0):  # ticks of an earlier attempt that saved no checkpoint
            log("note: log.jsonl held ticks of an earlier attempt without a checkpoint; starting a new log")
    if trainer.nimg >= cfg.train.total_kimg * 1000:
        log(f"already trained to kimg {trainer.nimg / 1000:.1f} (train.total_kimg={cfg.train.total_kimg}); done")
    else:
        with trainer.stop.installed():  # SIGTERM/SIGINT: checkpoint at the next step boundary, exit 0
            trainer.train()
    shutdown_distributed()  # every rank is here: leave the process group before the interpreter exits
    if trainer.stopped_by:
        log(f"stopped early by {trainer.stopped_by}; continue with the same command and --resume auto")
        return
    log(f"done: samples in {run_dir / 'samples'}, checkpoints in {run_dir / 'checkpoints'}")
    log(f"      log in {run_dir / 'log.jsonl'}")


def _seed_list(text: str, flag: str) -> list[int]:
    """'1,2,5-7' -> [1, 2, 5, 6, 7]; GankitError naming `flag` on anything else."""
    seeds = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        if not first.isdigit() or (last and not last.isdigit()) or (last and int(last) < int(first)):
            raise GankitError(
                f"{flag} {text!r}: {part.strip()!r} is not a seed or an ascending range; expected seeds such as "
                "1,2,3 or 1-3"
            )
        seeds += list(range(int(first), int(last or first) + 1))
    if len(seeds) > 100 or max(seeds) > 2**63 - 1:
        raise GankitError(f"{flag} {text!r}: at most 100 seeds per side, each at most 2**63 - 1")
    return seeds


def parse_style_mix(text: str) -> tuple[list[int], list[int]]:
    """--style-mix ROWS:COLS ('1,2,3:4,5,6', ranges like 1-3 allowed) or A,B (one row, one column)."""
    if ":" in text:
        rows, _, cols = text.partition(":")
        return _seed_list(rows, "--style-mix"), _seed_list(cols, "--style-mix")
    seeds = _seed_list(text, "--style-mix")
    if len(seeds) != 2 or "-" in text:
        raise GankitError(
            f"--style-mix {text!r}: expected ROW_SEEDS:COLUMN_SEEDS such as 1,2,3:4,5,6, or two seeds A,B "
            "(one row seed and one column seed)"
        )
    return seeds[:1], seeds[1:]


@main.command()
@click.option("--run", "run_path", required=True, type=click.Path(path_type=Path), help="Run or checkpoint folder.")
@click.option("-n", "num", type=click.IntRange(1, 10_000), help="Number of samples in the grid.  [default: 64]")
@click.option("--seed", type=SEED, help="Latent seed; the same seed gives the same images.  [default: 0]")
@click.option("--truncation", default=1.0, show_default=True, type=click.FloatRange(0, 1), help="Truncation psi.")
@click.option(
    "--truncation-cutoff",
    type=click.IntRange(min=1),
    metavar="L",
    help="Mapping-network generators: truncate only the first L style layers (ws) [default: all].",
)
@click.option(
    "--noise",
    type=click.Choice(["const", "random", "none"]),  # gankit.run.NOISE_MODES; gankit.run is imported lazily
    help="Mapping-network generators: the per-layer noise maps: const (fixed, the default), random "
    "(fresh per sample, repeatable from the seed) or none.",
)
@click.option(
    "--style-mix",
    metavar="ROWS:COLS",
    help="Mapping-network generators: a style-mixing grid instead of samples, e.g. 1,2,3:4,5,6 (row seeds : column "
    "seeds; A,B for one of each). Each cell takes layers < L from its row seed and layers >= L from its column "
    "seed; the sources fill the first row and column. Needs --crossover.",
)
@click.option("--crossover", type=int, metavar="L", help="With --style-mix: first layer taken from the column seeds.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output grid (.png, .jpg or .webp).")
@click.option("--device", default="cpu", show_default=True, type=click.Choice(["cpu", "cuda"]), help="Device.")
@click.option(
    "--class",
    "label",
    type=click.IntRange(min=0),
    help="Class-conditional runs: draw this class (default: all in turn).",
)
@click.option(
    "--label",
    "vector",
    help="Runs conditioned on label vectors: draw this comma-separated vector, e.g. 1,0,0.5 "
    "(default: the run's saved label vectors in turn).",
)
def sample(
    run_path: Path,
    num: int | None,
    seed: int | None,
    truncation: float,
    truncation_cutoff: int | None,
    noise: str | None,
    style_mix: str | None,
    crossover: int | None,
    out: Path,
    device: str,
    label: int | None,
    vector: str | None,
) -> None:
    """Write a grid of samples (or a style-mixing grid) from a run's EMA generator."""
    from gankit.data import open_dataset
    from gankit.data.image_io import save_grid
    from gankit.run import Run
    from gankit.train.pictures import save_samples_picture

    # Check the flags before loading the run.
    if out.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp") or out.is_dir():
        raise GankitError(f"--out {out}: expected an image file name ending in .png, .jpg or .webp")
    if label is not None and vector is not None:
        raise GankitError("--class and --label: give a class for class-conditional runs or a vector, not both")
    if vector is not None:
        try:
            label = [float(v) for v in vector.split(",")]
        except ValueError:
            raise GankitError(f"--label {vector!r}: expected comma-separated numbers, e.g. 1,0,0.5") from None
    if (style_mix is None) != (crossover is None):
        raise GankitError("--style-mix and --crossover go together: e.g. --style-mix 1,2,3:4,5,6 --crossover 4")
    if style_mix is not None and (num is not None or seed is not None or label is not None):
        raise GankitError("--style-mix draws its grid from its own seeds; drop -n, --seed, --class and --label")
    mix_seeds = parse_style_mix(style_mix) if style_mix is not None else None
    run = Run.load(run_path, device=pick_device(device))

    # A style-mixing grid: the column sources on top, each row's source on its left.
    if mix_seeds is not None:
        mix = run.style_mix(*mix_seeds, crossover, truncation, truncation_cutoff, noise)
        images, nrow = mix.grid()
        path = save_grid(images, out, nrow=nrow)
        rows, cols = mix.mixed.shape[:2]
        click.echo(
            f"style mixing {rows}x{cols}: layers < {crossover} from the rows, >= {crossover} of {run.G.num_ws} from "
            f"the columns; {run.checkpoint} (kimg {run.kimg:.1f}) -> {path}"
        )
        return

    # Plain samples.
    num, seed = 64 if num is None else num, 0 if seed is None else seed
    samples = run.sample(num, seed, truncation, label=label, truncation_cutoff=truncation_cutoff, noise=noise)
    if samples.ndim == 2:  # 2-D points: a scatter plot over the mixture's modes
        path = save_samples_picture(samples, out, open_dataset(run.cfg.data, progress=False))
    else:
        path = save_grid(samples, out)
    click.echo(f"{num} samples from {run.checkpoint} (kimg {run.kimg:.1f}) -> {path}")
    if run.growth_note:
        click.echo(f"note: {run.growth_note}")


@main.command(name="eval")
@click.option("--run", "run_path", type=click.Path(path_type=Path), help="Shorthand: --fake RUN --real its test set.")
@click.option("--fake", help="Generated set: run folder, image folder, .zip, builtin:digits-test|train, or .npz.")
@click.option("--real", help="Real set, in the same forms as --fake.")
@click.option(
    "--metrics",
    help="Comma-separated: fid, kid, is, pr, dc, ppl, eqt, eqt_frac, eqr; modes for stacked digits. [default: config]",
)
@click.option(
    "--num-samples", type=click.IntRange(2, 500_000), help="Samples drawn from a run (default: metrics.num_samples)."
)
@click.option("--seed", default=123, show_default=True, type=SEED, help="Latent seed of samples drawn from runs.")
@click.option("--device", default="cpu", show_default=True, type=click.Choice(["cpu", "cuda"]), help="Device.")
@click.option("--features", type=click.Choice(["digits", "inception"]), help="Feature network (default: config).")
@click.option("--inception-weights", type=click.Path(path_type=Path), help="pt_inception-2015-12-05-6726825d.pth.")
@click.option("--batch", default=64, show_default=True, type=click.IntRange(1, 4096), help="Images per forward pass.")
@click.option(
    "--log", "log_path", type=click.Path(path_type=Path), help="metrics.jsonl to append to (default: the run's)."
)
@click.option(
    "--stats-cache",
    help="Folder of cached real-set statistics, or 'off'. [default: eval.stats_dir, else ~/.cache/gankit/stats]",
)
@click.option("--progress/--no-progress", default=True, show_default=True, help="Progress bars (only on a terminal).")
@click.option("--ppl-space", type=click.Choice(["w", "z"]), default="w", show_default=True, help="PPL: path space.")
@click.option(
    "--ppl-sampling", type=click.Choice(["end", "full"]), default="end", show_default=True, help="PPL: t sampling."
)
@click.option("--lpips", type=click.Choice(["vgg", "alex"]), default="vgg", show_default=True, help="PPL's LPIPS.")
@click.option(
    "--lpips-weights", type=click.Path(path_type=Path), help="Folder of the LPIPS files. [default: ~/.cache/gankit]"
)
def evaluate(
    run_path: Path | None,
    fake: str | None,
    real: str | None,
    metrics: str | None,
    num_samples: int | None,
    seed: int,
    device: str,
    features: str | None,
    inception_weights: Path | None,
    batch: int,
    log_path: Path | None,
    stats_cache: str | None,
    progress: bool,
    ppl_space: str,
    ppl_sampling: str,
    lpips: str,
    lpips_weights: Path | None,
) -> None:
    """Compare a generated set with a real one; results are printed as a table and appended to metrics.jsonl."""
    from gankit.evaluate import evaluate as evaluate_sources
    from gankit.evaluate import evaluate_run
    from gankit.train.distributed import init_distributed, shutdown_distributed

    # Validate the flags.
    if (run_path is None) == (fake is None):
        raise GankitError("gankit eval needs --run RUN, or --fake SRC with --real SRC (not both --run and --fake)")
    if fake is not None and real is None:
        raise GankitError(
            f"--fake {fake} needs --real SRC: a run folder, image folder, .zip, builtin:digits-test or .npz"
        )
    names = None if metrics is None else [m.strip() for m in metrics.split(",") if m.strip()]
    if names is not None and not names:
        raise GankitError("--metrics is empty; name at least one metric, e.g. --metrics fid")
    if run_path is not None and not run_path.exists() and (Path("runs") / run_path).is_dir():
        run_path = Path("runs") / run_path  # --run NAME means runs/NAME
    stats_dir = None if stats_cache == "off" else Path(stats_cache) if stats_cache else "auto"
    if log_path is not None:
        _check_log_path(log_path)

    # Evaluate and print.
    options = {"features": features, "inception_weights": inception_weights, "batch_size": batch}
    options.update(log_path=log_path, stats_dir=stats_dir, progress=progress, lpips_weights=lpips_weights)
    options["metric_options"] = {"ppl": {"space": ppl_space, "sampling": ppl_sampling, "lpips": lpips}}
    torch_device = pick_device(device)
    dist = init_distributed(torch_device.type)  # under torchrun: features are extracted by all ranks
    options.update(rank=dist.rank, world_size=dist.world_size)
    if run_path is not None and real is None:
        lines = evaluate_run(run_path, names, num_samples, seed, torch_device, **options)
    else:
        lines = evaluate_sources(str(fake or run_path), real, names, num_samples, seed, torch_device, **options)
    for line in lines:
        if dist.is_main:
            click.echo(line)
    shutdown_distributed()


def _check_log_path(path: Path) -> None:
    """Make sure records can be appended to `path` before any work (its parent folders are created)."""
    if path.is_dir():
        raise GankitError(f"--log {path} is a folder; give a file to append the records to, e.g. {path / 'm.jsonl'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a"):
            pass
    except OSError as exc:
        raise GankitError(f"--log {path} cannot be written ({exc.strerror}); give a writable file") from None


@main.command()
def presets() -> None:
    """List the built-in presets."""
    from gankit.config import PRESET_DIR, preset_names

    for name in preset_names():
        first = (PRESET_DIR / f"{name}.yaml").read_text().splitlines()[0].lstrip("# ").strip()
        click.echo(f"{name:<24} {first}")


if __name__ == "__main__":
    main()
