"""The standard game: k D phases, optional penalty terms and lazy penalty phases, one G phase per step.

With `data.conditional` the same phases pass class labels to G and D (see `Context.conditional`).
"""

import torch
import torch.nn.functional as F

from gankit.config import Config
from gankit.games.base import Context, Game, Phase
from gankit.games.penalties import clip_weights, lazy_penalty_phases, penalties_from_config, penalty_terms
from gankit.losses.adversarial import AdversarialLoss, build_loss
from gankit.losses.orthogonal import orthogonal_regularization
from gankit.registry import GAMES


@GAMES.register("unconditional")
def build_unconditional(cfg: Config) -> Game:
    """Phases from the config's loss and train sections."""
    loss: AdversarialLoss = build_loss(cfg.loss)
    penalties = penalties_from_config(cfg.loss)
    keep_fakes = cfg.train.reuse_fakes and cfg.train.d_steps == 1
    aux = cfg.data.conditional and getattr(cfg.discriminator, "conditioning", None) == "acgan"

    def aux_loss(class_logits: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        # Classes: cross-entropy; label vectors: one binary cross-entropy per attribute (multi-label AC-GAN).
        if c.is_floating_point():
            return F.binary_cross_entropy_with_logits(class_logits, c)
        return F.cross_entropy(class_logits, c)

    def scored(ctx: Context, img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        # D's logits, and with AC-GAN its class logits from the same pass.
        if aux:
            return ctx.nets["D"].forward_with_classes(ctx.augment(img))
        return ctx.score(ctx.augment(img)), None

    def d_phase(ctx: Context) -> dict[str, torch.Tensor]:
        # Generate fakes; keep G's graph when the G phase will reuse them (textbook DCGAN step).
        z = ctx.sample_z(ctx.real_img.shape[0])
        with torch.set_grad_enabled(keep_fakes):
            fake_img = ctx.generate(z)
        if keep_fakes:
            ctx.scratch["fake_img"] = fake_img

        # Score reals and fakes in separate batches, so batch norm sees each set alone.
        real_logits, real_classes = scored(ctx, ctx.real_img)
        fake_logits, fake_classes = scored(ctx, fake_img.detach())  # detach: D's loss must not reach G
        loss_d = loss.d(real_logits, fake_logits)
        terms = penalty_terms(penalties, ctx, ctx.real_img, fake_img.detach())
        if aux:  # AC-GAN: D learns the class of reals and of fakes (Odena et al. 2017, eq. 2-3)
            ce = aux_loss(real_classes, ctx.real_c) + aux_loss(fake_classes, ctx.real_c)
            terms["loss_d_aux"] = cfg.loss.aux_weight * ce
        return {
            "loss": sum(terms.values(), loss_d),
            "loss_d": loss_d,
            **terms,
            "d_real": torch.sigmoid(real_logits).mean(),
            "d_fake": torch.sigmoid(fake_logits).mean(),
            "d_real_sign": real_logits.sign().mean(),  # r_t of ADA's overfitting heuristic
        }

    def g_phase(ctx: Context) -> dict[str, torch.Tensor]:
        fake_img = ctx.scratch.pop("fake_img", None)
        if fake_img is None:
            fake_img = ctx.generate(ctx.sample_z(ctx.real_img.shape[0]))
        real_logits = scored(ctx, ctx.real_img)[0].detach() if loss.g_uses_reals else None
        fake_logits, fake_classes = scored(ctx, fake_img)
        loss_g = loss.g(fake_logits, real_logits)
        terms = {}
        if aux:  # G makes its class recognisable
            terms["loss_g_aux"] = cfg.loss.aux_weight * aux_loss(fake_classes, ctx.real_c)
        if cfg.loss.ortho_beta > 0:  # BigGAN: decorrelate G's filters
            terms["loss_g_ortho"] = orthogonal_regularization(ctx.nets["G"], cfg.loss.ortho_beta)
        return {"loss": sum(terms.values(), loss_g), "loss_g": loss_g, **terms}

    clip = None if loss.weight_clip is None else (lambda ctx: clip_weights(ctx.nets["D"], loss.weight_clip))
    phases = [
        Phase(
            "D",
            "D",
            ("D", "G") if keep_fakes else ("D",),
            d_phase,
            repeats=cfg.train.d_steps,
            draws_reals=True,
            after_step=clip,
        )
    ]
    phases += lazy_penalty_phases(penalties, after_step=clip)  # every D update is clipped
    phases.append(Phase("G", "G", ("G",), g_phase))
    return Game(phases=phases)
