"""The adaptive controller of ADA (Karras et al. 2020, section 3): move p from D's overfitting heuristic.

    r_t = E[sign(D(x_real))]   over the real batches D saw since the last adjustment
    p  <- clamp(p + sign(r_t - target) * images_since_last / (ada_kimg * 1000), 0, 1)

every `interval` training steps, so p can go from 0 to 1 in `ada_kimg` thousand images. The paper
uses target 0.6, an interval of 4 minibatches and 500 kimg. Everything stays on the device: the
signs are summed there, p is updated there, and the host reads p only when a tick is logged.

The heuristic assumes logits whose sign says real (> 0) or fake (< 0), as with the logistic and
hinge losses; a game reports it as the log key `d_real_sign` (the batch mean of sign(D(real))).
"""

from collections.abc import Callable

import torch

from gankit.augment.ada import ADA
from gankit.errors import ConfigError

SIGN_KEY = "d_real_sign"


class ADAController:
    """Adjusts an `ADA` pipeline's p from the `d_real_sign` values its game reports.

    Args:
        ada: the pipeline whose p is adjusted.
        target: the value of r_t to hold (0.6 in the paper).
        ada_kimg: thousands of images for p to go from 0 to 1 at full speed.
        interval: adjust p every this many training steps.
        reduce_mean: averages a tensor over ranks (identity for one process); it must not sync the host.
    """

    def __init__(
        self,
        ada: ADA,
        target: float = 0.6,
        ada_kimg: float = 500.0,
        interval: int = 4,
        reduce_mean: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> None:
        if ada_kimg <= 0 or interval < 1:
            raise ValueError(f"ada_kimg={ada_kimg} must be > 0 and interval={interval} at least 1")
        self.ada, self.target, self.ada_kimg, self.interval = ada, target, ada_kimg, interval
        self.reduce_mean = reduce_mean or (lambda t: t)
        self.sign_sum = torch.zeros((), device=ada.p.device)
        self.count = 0  # real batches observed since the last adjustment
        self.last_nimg = 0  # images shown to D at the last adjustment

    def observe(self, terms: dict[str, torch.Tensor]) -> None:
        """Take one phase's log terms; only `d_real_sign` is used."""
        value = terms.get(SIGN_KEY)
        if value is not None:
            self.sign_sum = self.sign_sum + value.detach().float().to(self.sign_sum.device)
            self.count += 1

    def update(self, step: int, nimg: int) -> None:
        """Call after training step `step` (0-based), with the images shown to D so far."""
        if (step + 1) % self.interval:
            return
        if self.count == 0:  # a game that never reports r_t would leave p at its start silently
            raise ConfigError(
                f"augment.ada.mode='adaptive' needs the game to log '{SIGN_KEY}' from its D phase, and none came in "
                f"{self.interval} steps; use augment.ada.mode='fixed' or a game that reports it"
            )
        r_t = self.reduce_mean(self.sign_sum / self.count)
        adjust = torch.sign(r_t - self.target) * ((nimg - self.last_nimg) / (self.ada_kimg * 1000))
        self.ada.p = (self.ada.p + adjust).clamp(0, 1)
        self.sign_sum = torch.zeros_like(self.sign_sum)
        self.count, self.last_nimg = 0, nimg

    def state_dict(self) -> dict:
        return {"sign_sum": self.sign_sum.detach().cpu().clone(), "count": self.count, "last_nimg": self.last_nimg}

    def load_state_dict(self, state: dict) -> None:
        self.sign_sum = state["sign_sum"].to(self.sign_sum.device, torch.float32).clone()
        self.count, self.last_nimg = int(state["count"]), int(state["last_nimg"])
