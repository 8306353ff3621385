"""Relativistic average GANs (Jolicoeur-Martineau 2018, "The relativistic discriminator", eqs. for
RaSGAN and RaLSGAN in section 4.3).

Paper symbols: C(x) is D's logit; D_ra(x_r, x_f) = sigmoid(C(x_r) - E_f C(x_f)). G's loss is the
mirror of D's, so it needs the logits of reals too (`g_uses_reals`).
"""

import torch
import torch.nn.functional as F

from gankit.losses.adversarial import AdversarialLoss, NoOptions
from gankit.registry import LOSSES


def _relative(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(C(x_r) - E C(x_f) [N], C(x_f) - E C(x_r) [N])."""
    return real_logits - fake_logits.mean(), fake_logits - real_logits.mean()


def d_ragan(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-E_r log D_ra(x_r, x_f) - E_f log(1 - D_ra(x_f, x_r)) [N] -> []."""
    real_rel, fake_rel = _relative(real_logits, fake_logits)
    return F.softplus(-real_rel).mean() + F.softplus(fake_rel).mean()


def g_ragan(fake_logits: torch.Tensor, real_logits: torch.Tensor | None) -> torch.Tensor:
    """-E_f log D_ra(x_f, x_r) - E_r log(1 - D_ra(x_r, x_f)) [N] -> []."""
    real_rel, fake_rel = _relative(real_logits, fake_logits)
    return F.softplus(-fake_rel).mean() + F.softplus(real_rel).mean()


def d_ralsgan(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """E_r (C(x_r) - E C(x_f) - 1)^2 + E_f (C(x_f) - E C(x_r) + 1)^2 [N] -> []."""
    real_rel, fake_rel = _relative(real_logits, fake_logits)
    return (real_rel - 1).square().mean() + (fake_rel + 1).square().mean()


def g_ralsgan(fake_logits: torch.Tensor, real_logits: torch.Tensor | None) -> torch.Tensor:
    """E_f (C(x_f) - E C(x_r) - 1)^2 + E_r (C(x_r) - E C(x_f) + 1)^2 [N] -> []."""
    real_rel, fake_rel = _relative(real_logits, fake_logits)
    return (fake_rel - 1).square().mean() + (real_rel + 1).square().mean()


@LOSSES.register("ragan", options=NoOptions)
def ragan(opts: NoOptions) -> AdversarialLoss:
    return AdversarialLoss(d=d_ragan, g=g_ragan, g_uses_reals=True)


@LOSSES.register("ralsgan", options=NoOptions)
def ralsgan(opts: NoOptions) -> AdversarialLoss:
    return AdversarialLoss(d=d_ralsgan, g=g_ralsgan, g_uses_reals=True)
