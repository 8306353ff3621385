"""Unrolled GAN (Metz et al. 2017, "Unrolled generative adversarial networks", section 2.2, eqs. 4-7).

G's loss is taken against a look-ahead D: starting from D's weights theta_D^0, k steps of D's own
optimizer (Adam, with its current moments) on the step's reals and fakes give theta_D^k, and G
minimises f(theta_G, theta_D^k(theta_G, theta_D)), differentiating through the k updates with
`torch.func.functional_call`. D itself is not changed by the look-ahead: the D phases train it as
in the plain game. With k = 0 the G phase is the plain game's, bit for bit.

Paper symbols: K is `train.unroll_steps`, theta_D^k the dict `params` after k look-ahead steps.
"""

import torch
from torch.func import functional_call

from gankit.config import Config
from gankit.games.base import Context, Game, Phase
from gankit.games.unconditional import build_unconditional
from gankit.losses.adversarial import AdversarialLoss, build_loss
from gankit.registry import GAMES

SQRT_FLOOR = 1e-30  # inside the sqrt of Adam's second moment: keeps d sqrt(v)/dv finite where a gradient is 0


def adam_look_ahead(
    params: dict[str, torch.Tensor], grads: list[torch.Tensor], optimizer: torch.optim.Adam
) -> dict[str, torch.Tensor]:
    """One differentiable Adam step of `params` from `optimizer`'s current moments (torch.optim.Adam's rule).

    Args:
        params: D's weights by name, in the optimizer's parameter order.
        grads: their gradients, with graphs (create_graph=True).
        optimizer: D's Adam; its state is read, never written.

    Returns:
        The updated weights by name, each a function of `params` and `grads`.
    """
    assert len(optimizer.param_groups) == 1, "the look-ahead reads one parameter group of D's optimizer"
    group = optimizer.param_groups[0]
    (b1, b2), lr, eps = group["betas"], group["lr"], group["eps"]
    out = {}
    for (name, p), g, live in zip(params.items(), grads, group["params"], strict=True):
        state = optimizer.state.get(live, {})
        step = float(state.get("step", 0)) + 1
        m = b1 * state["exp_avg"] + (1 - b1) * g if state else (1 - b1) * g
        v = b2 * state["exp_avg_sq"] + (1 - b2) * g * g if state else (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**step), v / (1 - b2**step)
        out[name] = p - lr * m_hat / ((v_hat + SQRT_FLOOR).sqrt() + eps)
    return out


@GAMES.register("unrolled")
def build_unrolled(cfg: Config) -> Game:
    """The unconditional game with G's phase taken after `train.unroll_steps` look-ahead D steps.

    Raises:
        NotImplementedError: for optimizers other than Adam and for losses with weight clipping.
    """
    loss: AdversarialLoss = build_loss(cfg.loss)
    k = cfg.train.unroll_steps
    if k and cfg.train.optimizer != "adam":
        raise NotImplementedError(
            f"train.game='unrolled' with train.optimizer='{cfg.train.optimizer}' is not implemented: "
            "the look-ahead differentiates through Adam's update rule only"
        )
    if k and loss.weight_clip is not None:
        raise NotImplementedError(
            f"train.game='unrolled' with loss.name='{cfg.loss.name}' (weight clipping) is not implemented: "
            "clipping is not differentiable through the look-ahead"
        )
    if k and cfg.data.conditional and getattr(cfg.discriminator, "conditioning", None) == "acgan":
        raise NotImplementedError("train.game='unrolled' with discriminator.conditioning='acgan' is not implemented")
    game = build_unconditional(cfg)

    def g_phase(ctx: Context) -> dict[str, torch.Tensor]:
        # Take the fakes of the D phase when it kept them, as the plain game does.
        D = ctx.nets["D"]
        fake_img = ctx.scratch.pop("fake_img", None)
        if fake_img is None:
            fake_img = ctx.generate(ctx.sample_z(ctx.real_img.shape[0]))
        real_in, fake_in = ctx.augment(ctx.real_img), ctx.augment(fake_img)

        # Unroll k Adam steps of D on these reals and fakes, keeping every graph (eq. 4-5).
        params = {name: p.detach().requires_grad_(True) for name, p in D.named_parameters()}
        for _ in range(k):
            loss_d = loss.d(
                functional_call(D, params, ctx.d_inputs(real_in)), functional_call(D, params, ctx.d_inputs(fake_in))
            )
            grads = torch.autograd.grad(loss_d, list(params.values()), create_graph=True)
            params = adam_look_ahead(params, grads, ctx.optimizers["D"])

        # G's loss against the look-ahead D (eq. 6); backward reaches G through the unrolled steps.
        real_logits = functional_call(D, params, ctx.d_inputs(real_in)).detach() if loss.g_uses_reals else None
        loss_g = loss.g(functional_call(D, params, ctx.d_inputs(fake_in)), real_logits)
        return {"loss": loss_g, "loss_g": loss_g}

    phases = [Phase("G", "G", ("G",), g_phase) if p.name == "G" else p for p in game.phases]
    return Game(phases=phases, ema_after=game.ema_after)
