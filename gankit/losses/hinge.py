"""Hinge loss (Lim & Ye 2017, "Geometric GAN"; the form used by SNGAN, SAGAN and BigGAN)."""

import torch
import torch.nn.functional as F

from gankit.losses.adversarial import AdversarialLoss, NoOptions
from gankit.registry import LOSSES


def d_hinge(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))] over logits [N] -> []."""
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


def g_hinge(fake_logits: torch.Tensor, real_logits: torch.Tensor | None = None) -> torch.Tensor:
    """-E[D(G(z))] over logits [N] -> []."""
    return -fake_logits.mean()


@LOSSES.register("hinge", options=NoOptions)
def hinge(opts: NoOptions) -> AdversarialLoss:
    return AdversarialLoss(d=d_hinge, g=g_hinge)
