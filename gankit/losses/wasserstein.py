"""Wasserstein losses: WGAN with weight clipping (Arjovsky et al. 2017, Algorithm 1) and the critic
loss of WGAN-GP (Gulrajani et al. 2017, Algorithm 1), whose gradient penalty is a separate term
(`loss.gp_weight`, see `penalties.py`).

Paper symbols: f_w (the critic) is D and its outputs are the logits; c is `weight_clip`.
"""

import torch
from pydantic import BaseModel, ConfigDict, Field

from gankit.losses.adversarial import AdversarialLoss, NoOptions
from gankit.registry import LOSSES


class WGANOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weight_clip: float = Field(0.01, gt=0)  # c of Algorithm 1: every D weight is clipped to [-c, c] after each D step


def d_wasserstein(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """E[f(G(z))] - E[f(x)]: the negated Wasserstein estimate the critic minimises [N] -> []."""
    return fake_logits.mean() - real_logits.mean()


def g_wasserstein(fake_logits: torch.Tensor, real_logits: torch.Tensor | None = None) -> torch.Tensor:
    """-E[f(G(z))] [N] -> []."""
    return -fake_logits.mean()


@LOSSES.register("wgan", options=WGANOptions)
def wgan(opts: WGANOptions) -> AdversarialLoss:
    return AdversarialLoss(d=d_wasserstein, g=g_wasserstein, weight_clip=opts.weight_clip)


@LOSSES.register("wgan-gp", options=NoOptions)
def wgan_gp(opts: NoOptions) -> AdversarialLoss:
    return AdversarialLoss(d=d_wasserstein, g=g_wasserstein)
