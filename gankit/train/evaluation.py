"""Evaluation during training: the metrics of `eval.metrics` every `eval.every_kimg`, and the best checkpoint.

When training crosses a multiple of `eval.every_kimg` (and at the end), the loop snapshots (BN recalibration, grid,
checkpoint) and `TrainingEvaluation.run` measures that checkpoint with `gankit.evaluate.evaluate` against the run's
real set (the digits test split, or the training folder), appending the records to the run's metrics.jsonl as
`gankit eval` does. With `eval.best_metric`, a copy of every checkpoint that improves it is kept in
`checkpoints/best/` with `best.json` (metric, value, kimg, source checkpoint), which survives the rotation of
`train.keep_checkpoints` and tells a resumed run the value to beat. Under torchrun all ranks extract features and
rank 0 computes and writes.
"""

import json
import shutil
from pathlib import Path

import torch.distributed as dist

from gankit.config import Config
from gankit.errors import ConfigError
from gankit.train import checkpoint as ckpt
from gankit.train.distributed import DistInfo

# Where each best_metric is found (metric, result key) and whether higher is better.
BEST_METRICS = {
    "fid": ("fid", "value", False),
    "kid": ("kid", "value", False),
    "is": ("is", "value", True),
    "precision": ("pr", "precision", True),
    "recall": ("pr", "recall", True),
    "density": ("dc", "density", True),
    "coverage": ("dc", "coverage", True),
}
SAMPLE_SEED = 123  # the same latents at every evaluation, as `gankit eval` uses by default


class TrainingEvaluation:
    """Scheduled evaluation of a training run (see the module docstring).

    Args:
        cfg: the run's config (its `eval` section).
        run_dir: the run folder.
        dist_info: this process's rank and the world size.
        log: rank 0's print function.
    """

    def __init__(self, cfg: Config, run_dir: Path, dist_info: DistInfo, log=print) -> None:
        self.cfg, self.run_dir, self.dist, self.log = cfg, Path(run_dir), dist_info, log
        self.every_nimg = cfg.eval.every_kimg * 1000

    def check(self, device) -> None:
        """Fail before step one on what would stop the first evaluation: the feature network's weights, the
        statistics folder, and sample counts too small for a metric.

        Raises:
            ConfigError: naming the config key and the fix.
        """
        from gankit.metrics import stats_file
        from gankit.metrics.catalog import DcOptions, IsOptions, PrOptions
        from gankit.registry import FEATURE_NETS

        e, m = self.cfg.eval, self.cfg.metrics
        if not e.metrics:
            return
        if m.feature_net == "digits" and self.cfg.data.source == "folder":
            from gankit.evaluate import DIGITS_FEATURES_WARNING

            self.log(f"warning: {DIGITS_FEATURES_WARNING}")

        # Load the feature network once now: a missing or wrong weight file is reported here.
        try:
            weights = m.inception_weights if m.feature_net == "inception" else None
            FEATURE_NETS.get(m.feature_net, key="metrics.feature_net").build(device, weights)
        except (FileNotFoundError, ValueError) as exc:
            raise ConfigError(f"eval.metrics={e.metrics} with metrics.feature_net='{m.feature_net}': {exc}") from None

        # The statistics cache folder must be usable.
        folder = Path(e.stats_dir).expanduser() if e.stats_dir else stats_file.default_cache_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f".gankit-write-check-{self.dist.rank}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise ConfigError(
                f"eval.stats_dir={str(folder)!r} cannot be used ({exc.strerror}); "
                "set eval.stats_dir to a writable folder"
            ) from None

        # Every metric must have enough generated samples.
        n = e.num_samples or m.num_samples
        key = "eval.num_samples" if e.num_samples else "metrics.num_samples"
        needs = {"is": IsOptions().splits, "pr": PrOptions().k + 1, "dc": DcOptions().k + 1, "kid": 2}
        for name, least in needs.items():
            if name in e.metrics and n < least:
                raise ConfigError(
                    f"eval.metrics has '{name}', which needs at least {least} generated samples, but {key}={n}; "
                    f"raise {key}"
                )

    @property
    def best_dir(self) -> Path:
        return self.run_dir / "checkpoints" / "best"

    def due(self, nimg: int, tick_nimg: int, done: bool) -> bool:
        """Whether the tick that ended at `nimg` after `tick_nimg` images crossed a multiple of eval.every_kimg."""
        if not self.cfg.eval.metrics:
            return False
        return done or nimg // self.every_nimg > (nimg - tick_nimg) // self.every_nimg

    def run(self, device) -> dict[str, float]:
        """Evaluate the newest checkpoint; keep it as the best when it improves eval.best_metric.

        Returns:
            {metric record name: value} of the main result of each record (rank 0; empty on other ranks).
        """
        from gankit.evaluate import evaluate, real_source_for
        from gankit.metrics import stats_file

        # Wait for rank 0's checkpoint, then measure it on every rank.
        if self.dist.world_size > 1:
            dist.barrier()
        checkpoint = ckpt.resolve_checkpoint(self.run_dir / "checkpoints")
        e = self.cfg.eval
        stats_dir = Path(e.stats_dir).expanduser() if e.stats_dir else stats_file.default_cache_dir()
        records: list[dict] = []
        lines = evaluate(
            str(checkpoint),
            real_source_for(self.cfg, self.run_dir),
            list(e.metrics),
            e.num_samples,
            SAMPLE_SEED,
            device,
            batch_size=64,
            stats_dir=stats_dir,
            progress=False,
            rank=self.dist.rank,
            world_size=self.dist.world_size,
            records_out=records,
        )
        for line in lines:
            self.log(f"eval: {line}")
        if not self.dist.is_main:
            return {}

        # Keep the best checkpoint by the chosen metric.
        if e.best_metric:
            self._keep_if_best(checkpoint, records, kimg=records[0]["kimg"])  # every record names the checkpoint
        return {rec["name"]: rec[rec["result_keys"][0]] for rec in records if rec.get("result_keys")}

    def best(self) -> dict | None:
        """The best record so far (checkpoints/best/best.json), or None."""
        path = self.best_dir / "best.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def _keep_if_best(self, checkpoint: Path, records: list[dict], kimg: float) -> None:
        metric, key, higher = BEST_METRICS[self.cfg.eval.best_metric]
        value = next(rec[key] for rec in records if rec["metric"] == metric)
        best = self.best()
        if best is not None and best["metric"] == self.cfg.eval.best_metric:
            improved = value > best["value"] if higher else value < best["value"]
            if not improved:
                return

        # Copy, then swap folders, so a crash leaves the old best or the new one whole.
        tmp, old = self.best_dir.with_name(".best-tmp"), self.best_dir.with_name(".best-old")
        for stale in (tmp, old):
            shutil.rmtree(stale, ignore_errors=True)
        shutil.copytree(checkpoint, tmp)
        info = {"metric": self.cfg.eval.best_metric, "value": value, "kimg": kimg, "checkpoint": checkpoint.name}
        (tmp / "best.json").write_text(json.dumps(info))
        if self.best_dir.exists():
            self.best_dir.rename(old)
        tmp.rename(self.best_dir)
        shutil.rmtree(old, ignore_errors=True)
        direction = "higher" if higher else "lower"
        self.log(
            f"eval: new best {info['metric']} {value:.5g} ({direction} is better) at kimg {kimg:g} -> {self.best_dir}"
        )
