"""The penalties a game lists: R1, R2, the WGAN-GP gradient penalty and DRAGAN.

A penalty with interval 1 is a term added to every D step's loss (as WGAN-GP and DRAGAN train).
With interval k > 1 it is a lazy phase of its own that runs every k steps with its loss multiplied
by k, so that its average strength stays the same (Karras et al. 2020, StyleGAN2 section 3.1).
Every value is logged weighted and unscaled by the interval, under `loss_d_<name>`.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch

from gankit.games.base import Context, Phase
from gankit.losses.penalties import dragan_penalty, gradient_penalty, r1_penalty, r2_penalty


@dataclass(frozen=True)
class Penalty:
    """One penalty of D.

    Attributes:
        name: its short name; the log key is `loss_d_<name>` and a lazy phase is called `D_<name>`.
        weight: the factor of the raw penalty (gamma/2 for R1 and R2, lambda for GP and DRAGAN).
        interval: steps between updates (1: a term of every D step).
        needs_fakes: whether it looks at fakes (a lazy phase then generates its own).
        compute: (ctx, real_img [N, ...], fake_img [N, ...] or None) -> the raw penalty, a scalar.
    """

    name: str
    weight: float
    interval: int
    needs_fakes: bool
    compute: Callable[[Context, torch.Tensor, torch.Tensor | None], torch.Tensor]


def _scored(ctx: Context) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda img: ctx.score(ctx.augment(img))


def _r1(ctx: Context, real_img: torch.Tensor, fake_img: torch.Tensor | None) -> torch.Tensor:
    real_img = real_img.detach().requires_grad_(True)  # the gradient is taken at the un-augmented reals
    return r1_penalty(real_img, _scored(ctx)(real_img))


def _r2(ctx: Context, real_img: torch.Tensor, fake_img: torch.Tensor | None) -> torch.Tensor:
    fake_img = fake_img.detach().requires_grad_(True)
    return r2_penalty(fake_img, _scored(ctx)(fake_img))


def penalties_from_config(loss_cfg) -> list[Penalty]:
    """The penalties a `LossConfig` turns on (weight > 0), in a fixed order."""
    gp = lambda ctx, real, fake: gradient_penalty(  # noqa: E731
        _scored(ctx), real, fake, ctx.rng.get("penalty"), center=loss_cfg.gp_center
    )
    dragan = lambda ctx, real, fake: dragan_penalty(  # noqa: E731
        _scored(ctx), real, ctx.rng.get("penalty"), scale=loss_cfg.dragan_scale
    )
    candidates = [
        Penalty("r1", loss_cfg.r1_gamma / 2, loss_cfg.r1_interval, False, _r1),
        Penalty("r2", loss_cfg.r2_gamma / 2, loss_cfg.r2_interval, True, _r2),
        Penalty("gp", loss_cfg.gp_weight, loss_cfg.gp_interval, True, gp),
        Penalty("dragan", loss_cfg.dragan_weight, loss_cfg.dragan_interval, False, dragan),
    ]
    return [p for p in candidates if p.weight > 0]


def penalty_terms(
    penalties: list[Penalty], ctx: Context, real_img: torch.Tensor, fake_img: torch.Tensor
) -> dict[str, torch.Tensor]:
    """The weighted values of the every-step penalties (interval 1), keyed `loss_d_<name>`."""
    return {f"loss_d_{p.name}": p.weight * p.compute(ctx, real_img, fake_img) for p in penalties if p.interval == 1}


def lazy_penalty_phases(penalties: list[Penalty], after_step: Callable[[Context], None] | None = None) -> list[Phase]:
    """One D phase per lazy penalty (interval > 1), each on the step's last real batch.

    Args:
        penalties: all penalties of the game; those with interval 1 are skipped.
        after_step: run after each of these D updates too (WGAN's weight clipping).
    """

    def make(p: Penalty) -> Phase:
        def run(ctx: Context) -> dict[str, torch.Tensor]:
            # Draw fakes without G's graph when the penalty looks at them.
            fake_img = None
            if p.needs_fakes:
                with torch.no_grad():
                    fake_img = ctx.generate(ctx.sample_z(ctx.real_img.shape[0]))

            # Scale by the interval, so the lazy penalty keeps its average strength.
            value = p.weight * p.compute(ctx, ctx.real_img, fake_img)
            return {"loss": value * p.interval, f"loss_d_{p.name}": value}

        return Phase(f"D_{p.name}", "D", ("D",), run, interval=p.interval, after_step=after_step)

    return [make(p) for p in penalties if p.interval > 1]


def clip_weights(module: torch.nn.Module, clip: float) -> None:
    """Clamp every parameter of `module` to [-clip, clip] in place (WGAN, Arjovsky et al. 2017, Algorithm 1)."""
    with torch.no_grad():
        for param in module.parameters():
            param.clamp_(-clip, clip)
