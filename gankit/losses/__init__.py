"""Adversarial losses and penalties: pure functions of logits, images and networks."""

from gankit.losses import adversarial, hinge, least_squares, relativistic, wasserstein  # noqa: F401
from gankit.losses.adversarial import AdversarialLoss, build_loss
from gankit.losses.penalties import r1_penalty

__all__ = ["AdversarialLoss", "build_loss", "r1_penalty"]
