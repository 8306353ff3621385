"""Losses of a discriminator with several heads: one loss per head, summed.

A multi-scale D (pix2pixHD, Wang et al. 2018, section 3.2) is several discriminators that judge the
same image at different scales; it returns logits [M, S], one column per scale, and its loss is the
sum of the S losses (each averaged over its own M logits). Every loss in gankit is a function of
logits [M], so one wrapper gives every loss, relativistic ones included, this meaning: a head's
relativistic mean is taken over that head's logits only.
"""

from dataclasses import replace

import torch

from gankit.losses.adversarial import AdversarialLoss


def _per_head_d(fn):
    def d(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        if real_logits.ndim != 2:
            return fn(real_logits, fake_logits)
        return sum(fn(real_logits[:, s], fake_logits[:, s]) for s in range(real_logits.shape[1]))

    return d


def _per_head_g(fn):
    def g(fake_logits: torch.Tensor, real_logits: torch.Tensor | None = None) -> torch.Tensor:
        if fake_logits.ndim != 2:
            return fn(fake_logits, real_logits)
        heads = range(fake_logits.shape[1])
        return sum(fn(fake_logits[:, s], None if real_logits is None else real_logits[:, s]) for s in heads)

    return g


def per_head(loss: AdversarialLoss) -> AdversarialLoss:
    """`loss` for logits [M] as before, and for logits [M, S] the sum over the S heads of `loss` on each."""
    return replace(loss, d=_per_head_d(loss.d), g=_per_head_g(loss.g))
