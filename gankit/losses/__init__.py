"""Adversarial losses and penalties: pure functions of logits, images and networks."""

from gankit.losses import adversarial, hinge  # noqa: F401
from gankit.losses.adversarial import AdversarialLoss
from gankit.losses.penalties import r1_penalty

__all__ = ["AdversarialLoss", "r1_penalty"]
