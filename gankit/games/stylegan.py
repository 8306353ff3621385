"""The StyleGAN2 game (Karras et al. 2020, appendix B): non-saturating loss, lazy R1 on D, lazy
path-length regularization on G, style mixing and noise drawn from the run's latent stream.

Phases per step: D, D_r1 every `loss.r1_interval` steps, G, G_pl every `loss.pl_interval` steps.
Lazy penalties are scaled by their interval so their strength per image stays the same
(StyleGAN2 section 3.1). With `loss.blur_sigma` every image D sees is blurred before augmentation,
the blur fading out over `loss.blur_fade_kimg` (StyleGAN3 config R). The generator must expose
`map_styles(z, generator=...)`, `synthesis(ws, generator=...)` and a `pl_mean` buffer, as
models/stylegan2.py does.
"""

import torch

from gankit.config import Config
from gankit.errors import ConfigError
from gankit.games.base import Context, Game, Phase, StepPlan
from gankit.losses.adversarial import AdversarialLoss, build_loss
from gankit.losses.path_length import path_length_penalty
from gankit.losses.penalties import r1_penalty
from gankit.models.mapping import StyleBasedGenerator
from gankit.nn.blur import blur_sigma_at, gaussian_blur
from gankit.registry import GAMES, GENERATORS


@GAMES.register("stylegan2")
def build_stylegan2(cfg: Config) -> Game:
    """Phases from the config's loss section; path length needs a generator with a mapping network."""
    loss: AdversarialLoss = build_loss(cfg.loss)
    generator_class = GENERATORS.get(cfg.generator.name, key="generator.name").build
    if cfg.loss.pl_weight > 0 and not issubclass(generator_class, StyleBasedGenerator):
        raise ConfigError(
            f"loss.pl_weight={cfg.loss.pl_weight} needs a generator with a mapping network (stylegan, stylegan2), "
            f"got generator.name='{cfg.generator.name}'; set loss.pl_weight=0 or change the generator"
        )
    if cfg.data.conditional:
        raise ConfigError(
            "data.conditional=true with train.game='stylegan2' is not implemented yet (the StyleGAN2 networks "
            "take no labels); use a conditional family such as generator.name='dcgan' with the standard game"
        )
    if cfg.train.d_steps != 1:
        raise NotImplementedError(f"train.d_steps={cfg.train.d_steps} with train.game='stylegan2' is not implemented")

    # The D-side blur's sigma for the coming step, set by the schedule from the images shown.
    blur = {"sigma": blur_sigma_at(0, cfg.loss.blur_sigma, cfg.loss.blur_fade_kimg)}

    def schedule(nimg: int, nets: dict) -> StepPlan:
        blur["sigma"] = blur_sigma_at(nimg, cfg.loss.blur_sigma, cfg.loss.blur_fade_kimg)
        return StepPlan(batch_size=cfg.train.batch_size, log_values={"blur_sigma": blur["sigma"]})

    def d_phase(ctx: Context) -> dict[str, torch.Tensor]:
        # Score reals and fresh fakes; G gets no gradient here.
        G, D = ctx.nets["G"], ctx.nets["D"]
        with torch.no_grad():
            fake_img = G(ctx.sample_z(ctx.real_img.shape[0]), generator=ctx.generator)
        real_logits = D(ctx.augment(gaussian_blur(ctx.real_img, blur["sigma"])))
        fake_logits = D(ctx.augment(gaussian_blur(fake_img, blur["sigma"])))
        loss_d = loss.d(real_logits, fake_logits)
        return {
            "loss": loss_d,
            "loss_d": loss_d,
            "d_real": torch.sigmoid(real_logits).mean(),
            "d_fake": torch.sigmoid(fake_logits).mean(),
            "d_real_sign": real_logits.sign().mean(),  # r_t of ADA's overfitting heuristic
        }

    def r1_phase(ctx: Context) -> dict[str, torch.Tensor]:
        # Penalise D's gradient at the reals it sees; scale by the interval (lazy regularization).
        D = ctx.nets["D"]
        real_img = ctx.real_img.detach().requires_grad_(True)
        real_logits = D(ctx.augment(gaussian_blur(real_img, blur["sigma"])))
        loss_d_r1 = r1_penalty(real_img, real_logits) * (cfg.loss.r1_gamma / 2)
        return {"loss": loss_d_r1 * cfg.loss.r1_interval, "loss_d_r1": loss_d_r1}

    def g_phase(ctx: Context) -> dict[str, torch.Tensor]:
        G, D = ctx.nets["G"], ctx.nets["D"]
        fake_img = G(ctx.sample_z(ctx.real_img.shape[0]), generator=ctx.generator)
        loss_g = loss.g(D(ctx.augment(gaussian_blur(fake_img, blur["sigma"]))))
        return {"loss": loss_g, "loss_g": loss_g}

    def pl_phase(ctx: Context) -> dict[str, torch.Tensor]:
        # Penalise deviations of ||J_w^T y|| from its running mean on a smaller batch (StyleGAN2 eq. 4).
        G = ctx.nets["G"]
        n = max(1, ctx.real_img.shape[0] // cfg.loss.pl_batch_shrink)
        ws = G.map_styles(ctx.sample_z(n), generator=ctx.generator)
        fake_img = G.synthesis(ws, generator=ctx.generator)
        penalty, pl_lengths, new_mean = path_length_penalty(
            fake_img, ws, G.pl_mean, cfg.loss.pl_decay, generator=ctx.generator
        )
        G.pl_mean.copy_(new_mean)
        loss_g_pl = penalty * cfg.loss.pl_weight
        return {"loss": loss_g_pl * cfg.loss.pl_interval, "loss_g_pl": loss_g_pl, "pl_length": pl_lengths.mean()}

    phases = [Phase("D", "D", ("D",), d_phase, draws_reals=True)]
    if cfg.loss.r1_gamma > 0:
        phases.append(Phase("D_r1", "D", ("D",), r1_phase, interval=cfg.loss.r1_interval))
    phases.append(Phase("G", "G", ("G",), g_phase))
    if cfg.loss.pl_weight > 0:
        phases.append(Phase("G_pl", "G", ("G",), pl_phase, interval=cfg.loss.pl_interval))
    if cfg.loss.blur_sigma > 0:
        sigma, fade = cfg.loss.blur_sigma, cfg.loss.blur_fade_kimg
        notes = f"blur:     D's images blurred, sigma {sigma} px fading to 0 by {fade} kimg"
        return Game(phases=phases, schedule=schedule, notes=notes)
    return Game(phases=phases)
