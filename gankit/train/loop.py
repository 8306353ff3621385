"""The training loop. It runs a game's phases and knows nothing about any specific GAN.

One step runs every phase of the game whose interval divides the step index; time is counted in
images shown to D (nimg, reported as kimg). A tick ends every `train.tick_kimg`, when the tick's
averaged values are printed and appended to log.jsonl; every `train.snapshot_ticks` ticks, and at
the end, a sample grid from fixed latents and an atomic checkpoint are written.
"""

import hashlib
import resource
import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

from gankit.augment import Augment, build_augment
from gankit.config import Config, describe, to_yaml
from gankit.data import open_dataset
from gankit.data.loader import BatchStream
from gankit.data.transforms import DatasetTransform
from gankit.errors import CheckpointError, ConfigError
from gankit.games.base import Context
from gankit.nets import build_networks, module_summary
from gankit.nn.resize import upsample_to_at_least
from gankit.registry import GAMES
from gankit.train import checkpoint as ckpt
from gankit.train.conditioning import LabelSource, resolve_labels
from gankit.train.distributed import (
    DistInfo,
    all_reduce_grads,
    all_reduce_sum,
    broadcast_buffers,
    broadcast_params,
    init_distributed,
)
from gankit.train.ema import GeneratorEMA, recalibrate_batchnorm
from gankit.train.evaluation import TrainingEvaluation
from gankit.train.nonfinite import NonFiniteGuard, reseed_after_rollback
from gankit.train.optim import make_optimizer
from gankit.train.pictures import save_samples_picture
from gankit.train.signals import StopFlag
from gankit.train.stats import JsonlWriter, TickCollector, format_tick, truncate_log
from gankit.train.streams import RandomStreams

GRID_SIZE = 64  # images in every sample grid (8 x 8)


def pick_device(kind: str) -> torch.device:
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for but no CUDA device is available; use cpu (or train.device=auto)")
    if kind == "auto":
        kind = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(kind)


class Trainer:
    """Everything one run holds: networks, optimizers, EMA, data stream, random streams and counters.

    Args:
        cfg: the validated config.
        run_dir: the run folder; only rank 0 writes into it.
        log: a print function (rank 0 only prints).
    """

    def __init__(self, cfg: Config, run_dir: Path, dist_info: DistInfo | None = None, log=print) -> None:
        self.cfg, self.run_dir = cfg, Path(run_dir)
        self.device = pick_device(cfg.train.device)
        self.dist = dist_info or init_distributed(self.device.type)
        self.log = log if self.dist.is_main else (lambda *a, **k: None)
        t = cfg.train

        # Open the data and the batch stream.
        self.dataset = open_dataset(cfg.data, "train", progress=self.dist.is_main)
        resolve_labels(cfg, self.dataset)
        self.data_fingerprint = fingerprint(self.dataset)  # checked on resume: the data must not change
        transform = DatasetTransform(cfg.augment.dataset, cfg.seed) if cfg.augment.dataset.active else None
        self.stream = BatchStream(
            self.dataset,
            t.batch_size,
            cfg.seed,
            self.dist.rank,
            self.dist.world_size,
            self.device,
            t.channels_last,
            transform,
        )
        self.local_batch = t.batch_size // self.dist.world_size

        # Build the networks, their optimizers and the EMA of G.
        G, D = build_networks(cfg)
        fmt = torch.channels_last if t.channels_last else torch.contiguous_format
        self.G, self.D = G.to(self.device, memory_format=fmt).train(), D.to(self.device, memory_format=fmt).train()
        broadcast_params(self.G, self.dist.world_size)
        broadcast_params(self.D, self.dist.world_size)
        self.nets = {"G": self.G, "D": self.D}
        self.optimizers = {
            "G": make_optimizer(t.optimizer, self.G.parameters(), t.lr_g, t.betas_g),
            "D": make_optimizer(t.optimizer, self.D.parameters(), t.lr_d, t.betas_d),
        }  # Adam is fused: it can skip a non-finite step on the device (train/nonfinite.py)
        self.ema = GeneratorEMA(self.G, t.ema_halflife_kimg, t.ema_rampup)

        # Set up the random streams, the augmentation and the game.
        self.streams = RandomStreams(cfg.seed, self.dist.rank, self.device)
        world = self.dist.world_size
        self.augment, self.ada_controller = build_augment(
            cfg.augment, self.streams["augment"], reduce_mean=lambda t: all_reduce_sum(t, world) / world
        )
        self.ctx = Context(
            nets=self.nets,
            sample_z=self._sample_z,
            augment=self._augment_fn(self.augment, fmt),
            generator=self.streams["latent"],
            rng=self.streams.generators,
            optimizers=self.optimizers,
            conditional=cfg.data.conditional,
        )
        self.game = GAMES.get(t.game, key="train.game").build(cfg)
        for key, size in self.game.batch_sizes.items():  # a schedule's later batch sizes fail now, not hours in
            self.stream.check_batch_size(size, key)
        self.schedule_values: dict[str, float] = {}  # the game schedule's log values as of the last step
        grid_size = getattr(self.dataset, "snapshot_samples", GRID_SIZE)  # point data: a scatter of 2,500
        self.grid_z = torch.randn(grid_size, self.G.z_dim, generator=torch.Generator().manual_seed(cfg.seed))
        self.label_source = LabelSource.for_run(cfg, self.dataset)  # None when unconditional
        self.grid_c = self.label_source.cycle(grid_size) if self.label_source else None

        # Counters; a resumed run overwrites them.
        self.step, self.nimg, self.tick, self.ema_nimg = 0, 0, 0, 0
        self.elapsed_s = 0.0
        self.collector = TickCollector()
        self.tick_start_nimg = 0  # where the current tick began; saved, so a stop mid-tick resumes the same tick

        # Guard against non-finite steps and listen for stop requests (train/nonfinite.py, train/signals.py).
        self.guard = NonFiniteGuard(t.max_nonfinite_steps, t.max_rollbacks, self.device)
        self.stop = StopFlag()
        self.stopped_by: str | None = None
        self.evaluation = TrainingEvaluation(cfg, self.run_dir, self.dist, self.log)  # eval.metrics on schedule
        self.evaluation.check(self.device)

    @staticmethod
    def _augment_fn(aug: Augment, fmt: torch.memory_format):
        # Keep D's input in the networks' memory format: convolutions on CPU are ~10x slower in the other one.
        def apply(*imgs: torch.Tensor):
            out = aug(*imgs) if aug.active else (imgs[0] if len(imgs) == 1 else imgs)
            if isinstance(out, torch.Tensor):
                return out.contiguous(memory_format=fmt)
            return tuple(img.contiguous(memory_format=fmt) for img in out)

        return apply

    def _sample_z(self, n: int) -> torch.Tensor:
        gen = self.streams["latent"]
        return torch.randn(n, self.G.z_dim, generator=gen, device=gen.device).to(self.device)

    def describe(self, config_path: Path | None = None) -> str:
        lines = [
            f"config:   {config_path or '(not written: dry run)'}",
            describe(self.cfg),
            f"dataset:  {self.dataset.describe()}",
            f"device:   {self.device} (float32), world size {self.dist.world_size}, "
            f"batch {self.cfg.train.batch_size} ({self.local_batch} per rank)",
            f"game:     {' -> '.join(self._phase_label(p) for p in self.game.phases)}",
            *([self.game.notes] if self.game.notes else []),
            module_summary("G", self.G),
            module_summary("D", self.D),
            f"run:      {self.run_dir}",
        ]
        return "\n".join(lines)

    @staticmethod
    def _phase_label(phase) -> str:
        extra = f" x{phase.repeats}" if phase.repeats > 1 else ""
        extra += f" every {phase.interval}" if phase.interval > 1 else ""
        return phase.name + extra

    # Checkpoints.
    def state_dict(self) -> dict:
        return {
            "data_fingerprint": self.data_fingerprint,
            "step": self.step,
            "nimg": self.nimg,
            "tick": self.tick,
            "ema_nimg": self.ema_nimg,
            "elapsed_s": self.elapsed_s,
            "optimizers": {k: opt.state_dict() for k, opt in self.optimizers.items()},
            "stream": self.stream.state_dict(),
            "rng": self.streams.state_dict(self.dist.world_size),
            "world_size": self.dist.world_size,
            "augment": {
                "pipeline": self.augment.state_dict(),
                "controller": self.ada_controller.state_dict() if self.ada_controller else {},
            },
            "tick_start_nimg": self.tick_start_nimg,
            "nonfinite": self.guard.state_dict(),
        }

    def save(self) -> Path | None:
        state = self.state_dict()  # a collective under torchrun: every rank calls it
        if not self.dist.is_main:
            return None
        meta = {"config": self.cfg.model_dump(mode="json"), "kimg": self.nimg / 1000, "step": self.step}
        meta.update(self.label_source.meta() if self.label_source else {})
        nets = {"G": self.G, "D": self.D, "G_ema": self.ema.G_ema}
        return ckpt.save_checkpoint(
            self.run_dir / "checkpoints", self.nimg, nets, state, meta, keep=self.cfg.train.keep_checkpoints
        )

    def load(self, path: Path) -> None:
        """Restore every stateful part from a checkpoint folder."""
        state = ckpt.load_state(path)
        if not isinstance(state, dict):
            raise CheckpointError(f"'{path}/state.pt' holds a {type(state).__name__}, not gankit's training state")
        if state.get("world_size", 1) != self.dist.world_size:
            raise CheckpointError(
                f"'{path}' was written with world size {state.get('world_size')}, this run has "
                f"{self.dist.world_size}; resume with the same number of processes"
            )
        for name, net in (("G", self.G), ("D", self.D), ("G_ema", self.ema.G_ema)):
            try:
                net.load_state_dict(ckpt.load_weights(path, name))
            except RuntimeError as exc:
                raise CheckpointError(f"'{path}/{name}.safetensors' does not fit this config's {name}: {exc}") from None
        saved = state.get("data_fingerprint")
        if saved is not None and saved != self.data_fingerprint:
            raise ConfigError(
                f"cannot resume {path}: the training data changed since it was written ({saved['num_images']} images "
                f"then, {self.data_fingerprint['num_images']} now, or different pixels or labels); restore the data "
                "or train into a new --out"
            )
        try:
            for k, opt in self.optimizers.items():
                opt.load_state_dict(state["optimizers"][k])
            self.stream.load_state_dict(state["stream"])
            self.streams.load_state_dict(state["rng"], self.dist.rank)
            self.step, self.nimg, self.tick = int(state["step"]), int(state["nimg"]), int(state["tick"])
            self.ema_nimg = int(state.get("ema_nimg", self.nimg))
            self.elapsed_s = float(state["elapsed_s"])
            self.tick_start_nimg = int(state.get("tick_start_nimg", self.nimg))
            if "nonfinite" in state:
                self.guard.load_state_dict(state["nonfinite"])
            if state.get("augment", {}).get("pipeline"):  # ADA's p; absent in checkpoints without ADA
                self.augment.load_state_dict(state["augment"]["pipeline"])
            if self.ada_controller and state.get("augment", {}).get("controller"):
                self.ada_controller.load_state_dict(state["augment"]["controller"])
        except (KeyError, IndexError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
            raise CheckpointError(
                f"'{path}/state.pt' does not hold the training state this config needs "
                f"({type(exc).__name__}: {exc}); it is from another program or version, or damaged"
            ) from None

    # Pictures.
    @torch.no_grad()
    def snapshot_grid(self) -> Path | None:
        """Recalibrate G_ema's batch-norm statistics and save a grid from the fixed latents."""
        G_ema = self.ema.G_ema
        calib = torch.Generator().manual_seed(self.cfg.seed + 1)
        labels = self.label_source

        def calibration_inputs():
            z = torch.randn(self.local_batch, G_ema.z_dim, generator=calib).to(self.device)
            if labels is None:
                return z
            return z, labels.random(self.local_batch, calib).to(self.device)

        recalibrate_batchnorm(G_ema, calibration_inputs, self.cfg.train.bn_recalibration_batches)
        if not self.dist.is_main:
            return None
        path = self.run_dir / "samples" / f"fakes-{self.nimg:010d}.png"  # named like the checkpoint of the same moment
        inputs = [self.grid_z.to(self.device)] + ([self.grid_c.to(self.device)] if labels else [])
        samples = upsample_to_at_least(G_ema(*inputs), self.cfg.data.resolution)  # a growing G: grids at one size
        save_samples_picture(samples.cpu(), path, self.dataset, self.D)
        return path

    # The loop.
    def lr_factor(self) -> float:
        """The learning-rate multiplier now; a pure function of nimg, so resuming needs no extra state."""
        t = self.cfg.train
        start, end = t.lr_decay_start_kimg * 1000, t.total_kimg * 1000
        if t.lr_decay == "constant" or self.nimg <= start or end <= start:
            return 1.0
        return max(0.0, 1.0 - (self.nimg - start) / (end - start))

    def run_step(self) -> None:
        """Run every phase due at this step."""
        ctx, world = self.ctx, self.dist.world_size
        self.apply_schedule()
        if self.cfg.train.lr_decay != "constant":
            factor = self.lr_factor()
            for key, base in (("G", self.cfg.train.lr_g), ("D", self.cfg.train.lr_d)):
                for group in self.optimizers[key].param_groups:
                    group["lr"] = base * factor
        for phase in self.game.phases:
            if self.step % phase.interval:
                continue
            opt = self.optimizers[phase.optimizer]
            for name, net in self.nets.items():
                net.requires_grad_(name in phase.trainable)
            for _ in range(phase.repeats):
                if phase.draws_reals or ctx.real_img is None:
                    ctx.real_img, ctx.real_c = self.stream.next()
                if phase.draws_reals:
                    self.nimg += self.stream.batch_size
                terms = phase.run(ctx)
                opt.zero_grad(set_to_none=True)
                loss = terms.pop("loss")
                loss.backward()
                params = list(self.nets[phase.optimizer].parameters())
                if world > 1:
                    self.guard.spread_loss_flag(loss, params)  # a non-finite loss on any rank flags it on all
                all_reduce_grads(params, world)
                self.guard.flag_step(opt, loss, params)  # the step below skips itself on NaN/inf, on the device
                opt.step()
                if phase.after_step is not None:
                    phase.after_step(ctx)
                self.collector.add(terms)
                if self.ada_controller:
                    self.ada_controller.observe(terms)
            if phase.optimizer == self.game.ema_after:
                self.ema.update(self.nimg - self.ema_nimg, self.nimg)  # images shown to D since the last update
                self.ema_nimg = self.nimg
        for net in self.nets.values():
            broadcast_buffers(net, world)
        ctx.scratch.clear()
        if self.ada_controller:
            self.ada_controller.update(self.step, self.nimg)
        self.guard.end_step()
        self.step += 1

    def apply_schedule(self) -> None:
        """Let the game's schedule, if it has one, set the networks and the batch size of the coming step.

        The schedule is a pure function of the images shown (games/base.py), so nothing here needs saving.
        """
        if self.game.schedule is None:
            return
        plan = self.game.schedule(self.nimg, {**self.nets, "G_ema": self.ema.G_ema})
        self.stream.batch_size = plan.batch_size
        self.local_batch = plan.batch_size // self.dist.world_size
        self.schedule_values = plan.log_values

    def train(self) -> None:
        """Train until `train.total_kimg`, logging every tick and snapshotting every few ticks."""
        t = self.cfg.train
        total_nimg = int(t.total_kimg * 1000)
        log_file = JsonlWriter(self.run_dir / "log.jsonl")
        show_bar = self.dist.is_main and sys.stderr.isatty()
        bar = tqdm(total=total_nimg, initial=self.nimg, unit="img", unit_scale=True, disable=not show_bar)
        tick_start_time = time.perf_counter()
        while self.nimg < total_nimg:
            # Run one step of the game; stop here, with a checkpoint, if any rank got SIGTERM or SIGINT.
            before = self.nimg
            self.run_step()
            bar.update(self.nimg - before)
            if self.stop.agreed(self.dist.world_size):
                self.elapsed_s += time.perf_counter() - tick_start_time
                self.stop_with_checkpoint()
                break
            done = self.nimg >= total_nimg
            if self.nimg < self.tick_start_nimg + t.tick_kimg * 1000 and not done:
                continue

            # End the tick: one host sync, one console line, one JSON line.
            now = time.perf_counter()
            tick_s = now - tick_start_time
            self.elapsed_s += tick_s
            self.tick += 1
            tick_kimg = (self.nimg - self.tick_start_nimg) / 1000
            self.tick_start_nimg = self.nimg
            record = {
                "tick": self.tick,
                "kimg": self.nimg / 1000,
                "time_s": round(self.elapsed_s, 2),
                "sec_per_kimg": tick_s / tick_kimg,
                "img_per_sec": tick_kimg * 1000 / tick_s,
                **self.schedule_values,
                **self.collector.reduce(self.dist.world_size),
                **{k: float(v) for k, v in self.augment.log_values().items()},  # ADA's p, read once per tick
                "cpumem_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            }
            if self.device.type == "cuda":
                record["gpumem_gb"] = torch.cuda.max_memory_allocated(self.device) / 2**30
            bad_steps, rollback_due = self.guard.end_tick()  # read next to the sync above, so it costs no wait
            if bad_steps:
                record["nonfinite_steps"] = bad_steps
            if self.dist.is_main:
                log_file.write(record)
                bar.write(format_tick(record)) if show_bar else self.log(format_tick(record))

            # Roll back to the last checkpoint after too many consecutive non-finite steps.
            if rollback_due:
                event = self.rollback()
                if self.dist.is_main:
                    log_file.write(event)
                bar.reset(total=total_nimg)
                bar.update(self.nimg)
                tick_start_time = time.perf_counter()
                continue

            # Snapshot: sample grid and checkpoint; evaluate that checkpoint on schedule (train/evaluation.py).
            eval_due = self.evaluation.due(self.nimg, round(tick_kimg * 1000), done)
            if self.tick % t.snapshot_ticks == 0 or done or eval_due:
                self.snapshot_grid()
                self.save()
            if eval_due:
                self.evaluation.run(self.device)
            tick_start_time = time.perf_counter()
            self.elapsed_s += tick_start_time - now  # snapshot time counts in the run's time, not in sec/kimg
        bar.close()

    def stop_with_checkpoint(self) -> None:
        """Write a checkpoint at this step boundary after a stop request (signals.py)."""
        path = self.save()
        self.stopped_by = self.stop.signal_name
        if path is not None:
            self.log(f"stopped by {self.stopped_by} at kimg {self.nimg / 1000:g} (step {self.step}); saved {path}")

    def rollback(self) -> dict:
        """Reload the last checkpoint with fresh latent and augmentation streams; returns the log event.

        Raises:
            TrainingError: no checkpoint exists yet, or `train.max_rollbacks` rollbacks were already made.
        """
        root = self.run_dir / "checkpoints"
        target = ckpt.resolve_checkpoint(root) if ckpt.list_checkpoints(root) else None
        bad_at = f"kimg {self.nimg / 1000:g}"
        count = self.guard.start_rollback(target, bad_at)
        guard_state = self.guard.state_dict()
        self.load(target)
        self.guard.load_state_dict(guard_state)  # the rollback count survives the reload
        reseed_after_rollback(self.streams.generators, self.cfg.seed, self.dist.rank, count)
        self.log(
            f"warning: {self.guard.max_bad_steps} consecutive steps had a non-finite loss or gradient at {bad_at}; "
            f"rolled back to {target} (rollback {count} of at most {self.guard.max_rollbacks})"
        )
        if self.dist.is_main:
            truncate_log(self.run_dir / "log.jsonl", self.tick)
        return {"tick": self.tick, "kimg": self.nimg / 1000, "event": "rollback", "rollback": count, "at": bad_at}


def fingerprint(dataset) -> dict:
    """Image count and a BLAKE2 digest of the pixels and labels: what a resumed run must find again."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(dataset.images.numpy().tobytes())
    if dataset.labels is not None:
        digest.update(dataset.labels.numpy().tobytes())
    return {"num_images": len(dataset), "digest": digest.hexdigest()}


def prepare_run_dir(run_dir: Path, cfg: Config) -> Path:
    """Create the run folder, write the resolved config and clean up interrupted checkpoint writes."""
    (run_dir / "samples").mkdir(parents=True, exist_ok=True)
    (run_dir / "checkpoints").mkdir(exist_ok=True)
    ckpt.clean_temporaries(run_dir / "checkpoints")
    path = run_dir / "config.yaml"
    path.write_text(to_yaml(cfg))
    return path
