"""Wasserstein losses: WGAN with weight clipping (Arjovsky et al. 2017, Algorithm 1) and the critic
loss of WGAN-GP (Gulrajani et al. 2017, Algorithm 1), whose gradient penalty is a separate term
(`loss.gp_weight`, see `penalties.py`). WGAN-GP optionally adds PGGAN's drift term (Karras et al.
2018, appendix A.1): epsilon_drift * E[D(x)^2] on reals, which keeps the critic's scores near 0.

Paper symbols: f_w (the critic) is D and its outputs are the logits; c is `weight_clip`; epsilon_drift
is `drift_weight`.
"""

import torch
from pydantic import BaseModel, ConfigDict, Field

from gankit.losses.adversarial import AdversarialLoss
from gankit.registry import LOSSES


class WGANOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weight_clip: float = Field(0.01, gt=0)  # c of Algorithm 1: every D weight is clipped to [-c, c] after each D step


class WGANGPOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    drift_weight: float = Field(0.0, ge=0)  # epsilon_drift of PGGAN (0.001 in the paper); 0 turns the term off


def d_wasserstein(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """E[f(G(z))] - E[f(x)]: the negated Wasserstein estimate the critic minimises [N] -> []."""
    return fake_logits.mean() - real_logits.mean()


def g_wasserstein(fake_logits: torch.Tensor, real_logits: torch.Tensor | None = None) -> torch.Tensor:
    """-E[f(G(z))] [N] -> []."""
    return -fake_logits.mean()


@LOSSES.register("wgan", options=WGANOptions)
def wgan(opts: WGANOptions) -> AdversarialLoss:
    return AdversarialLoss(d=d_wasserstein, g=g_wasserstein, weight_clip=opts.weight_clip)


def drift_penalty(real_logits: torch.Tensor) -> torch.Tensor:
    """E[D(x)^2] on reals without its weight epsilon_drift [N] -> [] (PGGAN appendix A.1)."""
    return real_logits.square().mean()


@LOSSES.register("wgan-gp", options=WGANGPOptions)
def wgan_gp(opts: WGANGPOptions) -> AdversarialLoss:
    if opts.drift_weight == 0:
        return AdversarialLoss(d=d_wasserstein, g=g_wasserstein)

    def d_with_drift(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return d_wasserstein(real_logits, fake_logits) + opts.drift_weight * drift_penalty(real_logits)

    return AdversarialLoss(d=d_with_drift, g=g_wasserstein)
