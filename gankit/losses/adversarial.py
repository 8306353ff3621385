"""The original GAN losses on logits (Goodfellow et al. 2014, eq. 1 and section 3).

With D(x) = sigmoid(l): log D(x) = -softplus(-l) and log(1 - D(x)) = -softplus(l), which keeps
every loss finite for any logit.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gankit.registry import LOSSES


@dataclass(frozen=True)
class AdversarialLoss:
    """A pair of loss functions: `d(real_logits, fake_logits)` and `g(fake_logits)`, each -> scalar."""

    d: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    g: Callable[[torch.Tensor], torch.Tensor]


def d_logistic(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-log D(x) - log(1 - D(G(z))), averaged over the batch [N] -> []."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_non_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """-log D(G(z)): the paper's practical G loss with strong early gradients [N] -> []."""
    return F.softplus(-fake_logits).mean()


def g_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    """log(1 - D(G(z))): the saturating minimax G loss of eq. 1 [N] -> []."""
    return -F.softplus(fake_logits).mean()


LOSSES.register("non-saturating")(AdversarialLoss(d=d_logistic, g=g_non_saturating))
LOSSES.register("minimax")(AdversarialLoss(d=d_logistic, g=g_minimax))
