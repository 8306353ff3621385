"""A game is a list of phases; the trainer runs them and knows nothing about any specific GAN."""

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class Context:
    """What phases of one training step share.

    Attributes:
        nets: the networks by name ("G", "D", ...), in training mode.
        sample_z: n -> latents [n, z_dim] from the run's latent stream.
        augment: the transform applied to every image D sees ([N, C, H, W] -> same); called with
            several batches (a translation pair) it applies one shared transform and returns a tuple.
        real_img: the current real batch [N, C, H, W] in [-1, 1], set by the trainer.
        real_c: the current labels [N], or None.
        scratch: values one phase leaves for a later phase of the same step (cleared every step).
        generator: the run's latent stream, for random draws inside G (noise inputs, style mixing), or None.
        rng: the run's random streams by name ("penalty", ...), for draws a phase makes itself.
        optimizers: the optimizers by key, to read (never step) their state, e.g. for an unrolled look-ahead.
        conditional: G and D take class labels (`data.conditional`). Fakes then get the labels of
            the current real batch, so every D call of a step, on reals, fakes, interpolates or
            perturbed reals, uses `real_c`; the fakes' labels follow the data's label distribution.
    """

    nets: dict[str, nn.Module]
    sample_z: Callable[[int], torch.Tensor]
    augment: Callable[[torch.Tensor], torch.Tensor]
    real_img: torch.Tensor | None = None
    real_c: torch.Tensor | None = None
    scratch: dict = field(default_factory=dict)
    generator: torch.Generator | None = None
    rng: dict[str, torch.Generator] = field(default_factory=dict)
    optimizers: dict[str, torch.optim.Optimizer] = field(default_factory=dict)
    conditional: bool = False

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """G(z), or G(z, real_c) for a conditional game."""
        G = self.nets["G"]
        return G(z, self.real_c) if self.conditional else G(z)

    def score(self, img: torch.Tensor) -> torch.Tensor:
        """D's logits for `img` (already augmented), given `real_c` for a conditional game."""
        D = self.nets["D"]
        return D(img, self.real_c) if self.conditional else D(img)

    def d_inputs(self, img: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The positional inputs of D for `img`, for functional calls (torch.func)."""
        return (img, self.real_c) if self.conditional else (img,)


@dataclass
class Phase:
    """One optimizer update of some networks.

    Attributes:
        name: a short label ("D", "G", "D_r1").
        optimizer: the key of the optimizer this phase steps ("G" or "D").
        trainable: the networks that need gradients in this phase; all others are frozen.
        run: Context -> {"loss": scalar to minimise, plus log keys such as "loss_d"}.
        interval: the phase runs on steps where step % interval == 0 (lazy regularization).
        repeats: how many times it runs per step (k critic steps).
        draws_reals: whether each run takes a fresh real batch (these images count towards kimg).
        after_step: called with the context after each optimizer step of this phase (WGAN's weight clipping).
    """

    name: str
    optimizer: str
    trainable: tuple[str, ...]
    run: Callable[[Context], dict[str, torch.Tensor]]
    interval: int = 1
    repeats: int = 1
    draws_reals: bool = False
    after_step: Callable[[Context], None] | None = None


@dataclass(frozen=True)
class StepPlan:
    """What a game's schedule fixes for the next step.

    Attributes:
        batch_size: the global batch of every real batch drawn in this step.
        log_values: values for the tick line and log.jsonl, reported as of the tick's last step
            (e.g. the resolution and fade alpha of progressive growing).
    """

    batch_size: int
    log_values: dict[str, float] = field(default_factory=dict)


@dataclass
class Game:
    """The phases of one step, in order, and which optimizer's steps advance the EMA of G.

    Attributes:
        phases: run in this order at every step where their interval is due.
        ema_after: the optimizer whose steps advance the EMA of G.
        schedule: called before every step with the images shown so far and every network by name
            ("G", "D", "G_ema"); it may reconfigure the networks (a growth stage) and returns the step's
            StepPlan. It must be a pure function of the images shown, so a resumed run follows it exactly.
            None: every step uses `train.batch_size`.
        batch_sizes: every global batch size `schedule` may return, by the config key that sets it; the trainer
            checks them against the world size and the dataset before step one.
        notes: a line about the schedule for the start-up summary (e.g. when each resolution is reached).
    """

    phases: list[Phase]
    ema_after: str = "G"
    schedule: Callable[[int, dict[str, nn.Module]], StepPlan] | None = None
    batch_sizes: dict[str, int] = field(default_factory=dict)
    notes: str = ""
