"""The unconditional game: k D phases, an optional lazy R1 phase, one G phase per step."""

import torch

from gankit.config import Config
from gankit.games.base import Context, Game, Phase
from gankit.losses.adversarial import AdversarialLoss
from gankit.losses.penalties import r1_penalty
from gankit.registry import GAMES, LOSSES


@GAMES.register("unconditional")
def build_unconditional(cfg: Config) -> Game:
    """Phases from the config's loss and train sections."""
    loss: AdversarialLoss = LOSSES.get(cfg.loss.name, key="loss.name").build
    keep_fakes = cfg.train.reuse_fakes and cfg.train.d_steps == 1

    def d_phase(ctx: Context) -> dict[str, torch.Tensor]:
        # Generate fakes; keep G's graph when the G phase will reuse them (textbook DCGAN step).
        G, D = ctx.nets["G"], ctx.nets["D"]
        z = ctx.sample_z(ctx.real_img.shape[0])
        with torch.set_grad_enabled(keep_fakes):
            fake_img = G(z)
        if keep_fakes:
            ctx.scratch["fake_img"] = fake_img

        # Score reals and fakes in separate batches, so batch norm sees each set alone.
        real_logits = D(ctx.augment(ctx.real_img))
        fake_logits = D(ctx.augment(fake_img.detach()))  # detach: D's loss must not reach G
        loss_d = loss.d(real_logits, fake_logits)
        return {
            "loss": loss_d,
            "loss_d": loss_d,
            "d_real": torch.sigmoid(real_logits).mean(),
            "d_fake": torch.sigmoid(fake_logits).mean(),
            "d_real_sign": real_logits.sign().mean(),  # r_t of ADA's overfitting heuristic
        }

    def g_phase(ctx: Context) -> dict[str, torch.Tensor]:
        G, D = ctx.nets["G"], ctx.nets["D"]
        fake_img = ctx.scratch.pop("fake_img", None)
        if fake_img is None:
            fake_img = G(ctx.sample_z(ctx.real_img.shape[0]))
        loss_g = loss.g(D(ctx.augment(fake_img)))
        return {"loss": loss_g, "loss_g": loss_g}

    def r1_phase(ctx: Context) -> dict[str, torch.Tensor]:
        # Penalise D's gradient at the un-augmented reals; scale by the interval (lazy regularization).
        D = ctx.nets["D"]
        real_img = ctx.real_img.detach().requires_grad_(True)
        penalty = r1_penalty(real_img, D(ctx.augment(real_img)))
        loss_d_r1 = penalty * (cfg.loss.r1_gamma / 2)
        return {"loss": loss_d_r1 * cfg.loss.r1_interval, "loss_d_r1": loss_d_r1}

    phases = [
        Phase("D", "D", ("D", "G") if keep_fakes else ("D",), d_phase, repeats=cfg.train.d_steps, draws_reals=True)
    ]
    if cfg.loss.r1_gamma > 0:
        phases.append(Phase("D_r1", "D", ("D",), r1_phase, interval=cfg.loss.r1_interval))
    phases.append(Phase("G", "G", ("G",), g_phase))
    return Game(phases=phases)
