"""Progressive growing (Karras et al. 2018, "Progressive growing of GANs", section 2 and appendix A.1).

The phases are the standard game's (`unconditional.py`: k critic steps, the loss and penalties of the
config, one G step); this game adds the growth schedule and shows D the real images at the current
resolution. Before every step the schedule sets G, D and G_ema to the stage and alpha that the images
shown so far give, and picks the stage's batch size. The reals are box-filtered down from the
dataset's resolution; while a stage fades in they are blended with their own 2x coarser copy by the
same alpha, lerp(upsample(downsample(x)), x, alpha), as in the paper, so reals and fakes change alike.

Stage s has resolution 4 * 2**s. Stage 0 trains for `stabilize_kimg`; every later stage fades in over
`fade_kimg` and then trains for `stabilize_kimg`; the last stage continues until train.total_kimg.
Stage and alpha are pure functions of the images shown, so a run resumed mid-fade continues exactly.
"""

from dataclasses import dataclass, replace

from torch import nn

from gankit.config import Config
from gankit.errors import ConfigError
from gankit.games.base import Context, Game, Phase, StepPlan
from gankit.games.unconditional import build_unconditional
from gankit.models.pggan import GrowingNetwork
from gankit.nn.resize import fade_in_detail, resize_images
from gankit.registry import DISCRIMINATORS, GAMES, GENERATORS


@dataclass(frozen=True)
class GrowthSchedule:
    """The stage, alpha and batch size after a number of images shown.

    Attributes:
        num_stages: resolutions from 4 up to the final one (log2(R) - 1).
        fade_nimg: images of each fade-in.
        stabilize_nimg: images each stage trains alone (the last stage: until the end).
        batch_sizes: the global batch size of each stage.
    """

    num_stages: int
    fade_nimg: int
    stabilize_nimg: int
    batch_sizes: tuple[int, ...]

    @classmethod
    def from_config(cls, cfg: Config) -> "GrowthSchedule":
        p = cfg.train.progressive
        num_stages = cfg.data.resolution.bit_length() - 2  # log2(R) - 1
        sizes = tuple(p.batch_sizes.get(4 * 2**s, cfg.train.batch_size) for s in range(num_stages))
        return cls(num_stages, round(p.fade_kimg * 1000), round(p.stabilize_kimg * 1000), sizes)

    def stage_start(self, stage: int) -> int:
        """The images shown when stage `stage` begins (its fade-in, for stages above 0)."""
        return 0 if stage == 0 else self.stabilize_nimg + (stage - 1) * (self.fade_nimg + self.stabilize_nimg)

    def at(self, nimg: int) -> tuple[int, float]:
        """(stage, alpha) after `nimg` images; alpha rises linearly from 0 to 1 over each fade-in."""
        period = self.fade_nimg + self.stabilize_nimg
        if nimg < self.stabilize_nimg:
            return 0, 1.0
        stage = min(1 + (nimg - self.stabilize_nimg) // period, self.num_stages - 1) if self.num_stages > 1 else 0
        into = nimg - self.stage_start(stage)
        if stage == 0 or into >= self.fade_nimg:
            return stage, 1.0
        return stage, into / self.fade_nimg

    def describe(self) -> str:
        """When each resolution starts, e.g. '4x4 at kimg 0, 8x8 fades in at kimg 1.6 (batch 64), ...'."""
        parts = []
        for s in range(self.num_stages):
            res = 4 * 2**s
            verb = "from" if s == 0 else "fades in at"
            parts.append(f"{res}x{res} {verb} kimg {self.stage_start(s) / 1000:g} (batch {self.batch_sizes[s]})")
        return "growth:   " + ", ".join(parts)


def _check_networks(cfg: Config) -> None:
    for key, registry in (("generator", GENERATORS), ("discriminator", DISCRIMINATORS)):
        name = getattr(cfg, key).name
        build = registry.get(name, key=f"{key}.name").build
        if not (isinstance(build, type) and issubclass(build, GrowingNetwork)):
            raise ConfigError(
                f"train.game='progressive' needs networks that grow, got {key}.name='{name}'; use 'pggan'"
            )


def _check_options(cfg: Config, schedule: GrowthSchedule) -> None:
    if cfg.data.source in ("ring8", "grid25"):
        raise ConfigError(f"train.game='progressive' grows images; data.source='{cfg.data.source}' is 2-D point data")
    if cfg.augment.ada.mode != "none":
        raise NotImplementedError(
            f"augment.ada.mode='{cfg.augment.ada.mode}' with train.game='progressive' is not implemented: the ADA "
            "controller keeps no per-resolution state; use augment.diffaugment or no augmentation"
        )
    group = cfg.discriminator.mbstd_group_size
    for key, size in _batch_size_keys(cfg, schedule).items():
        if size > group and size % group:
            raise ConfigError(
                f"{key}={size} is not a multiple of discriminator.mbstd_group_size={group}; pick a multiple of {group}"
            )


def _batch_size_keys(cfg: Config, schedule: GrowthSchedule) -> dict[str, int]:
    """Every batch size of the schedule by the config key that sets it."""
    given = cfg.train.progressive.batch_sizes
    keys = {}
    for s, size in enumerate(schedule.batch_sizes):
        res = 4 * 2**s
        keys[f"train.progressive.batch_sizes[{res}]" if res in given else "train.batch_size"] = size
    return keys


@GAMES.register("progressive")
def build_progressive(cfg: Config) -> Game:
    """The standard game's phases with the growth schedule of `train.progressive`."""
    _check_networks(cfg)
    growth = GrowthSchedule.from_config(cfg)
    _check_options(cfg, growth)
    base = build_unconditional(cfg)

    def schedule(nimg: int, nets: dict[str, nn.Module]) -> StepPlan:
        stage, alpha = growth.at(nimg)
        for net in nets.values():
            if isinstance(net, GrowingNetwork):
                net.set_growth(stage, alpha)
        return StepPlan(growth.batch_sizes[stage], {"resolution": 4 * 2**stage, "alpha": alpha})

    def showing_current_reals(phase: Phase) -> Phase:
        # The trainer hands every real-drawing phase a batch at the dataset's resolution; later phases of
        # the step (lazy penalties, G) find the converted batch in ctx.real_img, so all see what D saw.
        def run(ctx: Context):
            D = ctx.nets["D"]
            ctx.real_img = fade_in_detail(resize_images(ctx.real_img, D.current_resolution), D.alpha)
            return phase.run(ctx)

        return replace(phase, run=run)

    phases = [showing_current_reals(p) if p.draws_reals else p for p in base.phases]
    sizes = _batch_size_keys(cfg, growth)
    return Game(phases, base.ema_after, schedule=schedule, batch_sizes=sizes, notes=growth.describe())
