"""Which checkpoint a `gankit train --resume` continues from, and whether the config still fits it."""

from pathlib import Path

from pydantic import ValidationError

from gankit.config import Config, flat_items
from gankit.errors import CheckpointError, ConfigError
from gankit.train import checkpoint as ckpt
from gankit.train.stats import truncate_log

# Keys a resumed run may change: the schedule's length and bookkeeping, never the model, data or game.
MAY_CHANGE = (
    "data.num_classes",  # filled from the dataset at start-up; a real mismatch fails when the weights load
    "train.total_kimg",
    "train.tick_kimg",
    "train.snapshot_ticks",
    "train.keep_checkpoints",
    "train.device",
    "train.max_nonfinite_steps",
    "train.max_rollbacks",
)


def resume_candidates(run_dir: Path, resume: str | None) -> list[Path]:
    """Checkpoints to try, best first: for `auto` every complete one of the run, newest first; for a path, that one."""
    if resume is None:
        return []
    if resume == "auto":
        root = Path(run_dir) / "checkpoints"
        if not root.is_dir() or not ckpt.list_checkpoints(root):
            return []
        newest = ckpt.resolve_checkpoint(run_dir)
        return [newest] + [c for c in reversed(ckpt.list_checkpoints(root)) if c != newest]
    path = Path(resume)
    if not path.exists():
        raise CheckpointError(f"--resume {resume}: the path does not exist; pass 'auto' or a run or checkpoint folder")
    if not path.is_dir():
        raise CheckpointError(f"--resume {resume}: expected a run folder or a checkpoint folder (ckpt-*), got a file")
    return [ckpt.resolve_checkpoint(path)]


def check_compatible(cfg: Config, checkpoint: Path) -> None:
    """Raise ConfigError naming every key that differs from the checkpoint's config and may not change.

    A checkpoint whose meta.json cannot be read passes here; `restore_newest` reports it and falls back.
    """
    try:
        saved = ckpt.load_meta(checkpoint).get("config")
    except CheckpointError:
        return
    if saved is None:
        return
    now = dict(item.split("=", 1) for item in flat_items(cfg))
    try:
        before = dict(item.split("=", 1) for item in flat_items(Config.model_validate(saved)))
    except ValidationError as exc:
        raise CheckpointError(f"'{checkpoint}/meta.json' holds a config this gankit cannot read: {exc}") from None
    changed = [
        k for k in now if now[k] != before.get(k) and not k.startswith(("metrics.", "eval.")) and k not in MAY_CHANGE
    ]
    if changed:
        diffs = "; ".join(f"{k}: checkpoint {before.get(k)}, now {now[k]}" for k in changed)
        raise ConfigError(
            f"cannot resume {checkpoint} with a different config ({diffs}); repeat the original run's --set "
            f"overrides (its config is in {checkpoint.parent.parent / 'config.yaml'}) or train into a new --out"
        )


def quarantine(checkpoint: Path) -> Path:
    """Rename a damaged checkpoint folder to damaged-<name>, so pruning and --resume auto never pick it again."""
    target = checkpoint.with_name(f"damaged-{checkpoint.name}")
    n = 1
    while target.exists():
        target, n = checkpoint.with_name(f"damaged-{checkpoint.name}-{n}"), n + 1
    try:
        checkpoint.rename(target)
    except OSError:  # gone already, or a read-only folder: leave it; the fallback still works
        return checkpoint
    return target


def restore_newest(trainer, candidates: list[Path]) -> str:
    """Load the first candidate that loads into `trainer`, warning about each that does not.

    Returns:
        A line for the log saying what was resumed.

    Raises:
        CheckpointError: when no candidate loads (the last one's error).
    """
    for i, candidate in enumerate(candidates):
        try:
            ckpt.load_meta(candidate)
            check_compatible(trainer.cfg, candidate)  # an older fallback must fit the config too
            trainer.load(candidate)
        except CheckpointError as exc:
            if i + 1 == len(candidates):
                raise
            trainer.log(f"warning: {exc}; falling back to {candidates[i + 1]}")
            if trainer.dist.is_main:
                trainer.log(f"         moved the damaged checkpoint aside to {quarantine(candidate)}")
            continue
        run_log = trainer.run_dir / "log.jsonl"
        dropped = truncate_log(run_log, trainer.tick) if trainer.dist.is_main else 0
        note = f" ({dropped} later log lines dropped)" if dropped else ""
        return f"resumed from {candidate} at kimg {trainer.nimg / 1000:g}{note}"
    raise AssertionError("restore_newest needs at least one candidate")
