"""The original GAN losses on logits (Goodfellow et al. 2014, eq. 1 and section 3), and the loss pair type.

With D(x) = sigmoid(l): log D(x) = -softplus(-l) and log(1 - D(x)) = -softplus(l), which keeps
every loss finite for any logit.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict

from gankit.registry import LOSSES


@dataclass(frozen=True)
class AdversarialLoss:
    """A pair of loss functions: `d(real_logits, fake_logits)` and `g(fake_logits, real_logits)`, each -> scalar.

    Attributes:
        d: D's loss from logits of reals [N] and fakes [N].
        g: G's loss from logits of fakes [N]; it receives the reals' logits [N] when `g_uses_reals`, else None.
        g_uses_reals: whether G's loss needs D's logits of reals (relativistic losses), so the game scores them.
        weight_clip: clip every D weight to [-c, c] after each D update (WGAN), or None.
    """

    d: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor]
    g_uses_reals: bool = False
    weight_clip: float | None = None


class NoOptions(BaseModel):
    """Options of a loss that has none."""

    model_config = ConfigDict(extra="forbid")


def build_loss(loss_cfg) -> AdversarialLoss:
    """The AdversarialLoss a `LossConfig` names, built from its validated `options`; it sums over D's heads."""
    from gankit.losses.heads import per_head  # imports this module

    entry = LOSSES.get(loss_cfg.name, key="loss.name")
    return per_head(entry.build(entry.options.model_validate(loss_cfg.options)))


def d_logistic(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-log D(x) - log(1 - D(G(z))), averaged over the batch [N] -> []."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_non_saturating(fake_logits: torch.Tensor, real_logits: torch.Tensor | None = None) -> torch.Tensor:
    """-log D(G(z)): the paper's practical G loss with strong early gradients [N] -> []."""
    return F.softplus(-fake_logits).mean()


def g_minimax(fake_logits: torch.Tensor, real_logits: torch.Tensor | None = None) -> torch.Tensor:
    """log(1 - D(G(z))): the saturating minimax G loss of eq. 1 [N] -> []."""
    return -F.softplus(fake_logits).mean()


@LOSSES.register("non-saturating", options=NoOptions)
def non_saturating(opts: NoOptions) -> AdversarialLoss:
    return AdversarialLoss(d=d_logistic, g=g_non_saturating)


@LOSSES.register("minimax", options=NoOptions)
def minimax(opts: NoOptions) -> AdversarialLoss:
    return AdversarialLoss(d=d_logistic, g=g_minimax)
