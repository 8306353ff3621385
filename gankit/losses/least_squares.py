"""Least-squares GAN (Mao et al. 2017, "Least squares generative adversarial networks", eq. 2).

Paper symbols: a is the target of fakes for D, b the target of reals for D, c the value G wants D
to give its fakes. The paper's two choices are a=-1, b=1, c=0 (eq. 9's Pearson chi^2 setting) and
a=0, b=1, c=1 (the 0-1 coding used in its experiments, the default here).
"""

import torch
from pydantic import BaseModel, ConfigDict

from gankit.losses.adversarial import AdversarialLoss
from gankit.registry import LOSSES


class LSGANOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    a: float = 0.0  # D's target for fakes
    b: float = 1.0  # D's target for reals
    c: float = 1.0  # G's target for its fakes


def least_squares_losses(a: float, b: float, c: float) -> AdversarialLoss:
    """The LSGAN loss pair for targets a, b, c."""

    def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        # 1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2]  [N] -> []
        return 0.5 * (real_logits - b).square().mean() + 0.5 * (fake_logits - a).square().mean()

    def g_loss(fake_logits: torch.Tensor, real_logits: torch.Tensor | None = None) -> torch.Tensor:
        # 1/2 E[(D(G(z)) - c)^2]  [N] -> []
        return 0.5 * (fake_logits - c).square().mean()

    return AdversarialLoss(d=d_loss, g=g_loss)


@LOSSES.register("lsgan", options=LSGANOptions)
def lsgan(opts: LSGANOptions) -> AdversarialLoss:
    return least_squares_losses(opts.a, opts.b, opts.c)
