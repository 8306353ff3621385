"""The optimizers a config can name (`train.optimizer`)."""

from collections.abc import Callable, Iterable

import torch


def _adam(params: Iterable[torch.nn.Parameter], lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
    # fused: the step reads `found_inf` and skips itself on a non-finite gradient (train/nonfinite.py).
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=True)


def _rmsprop(params: Iterable[torch.nn.Parameter], lr: float, betas: tuple[float, float]) -> torch.optim.Optimizer:
    # WGAN's choice (Arjovsky et al. 2017, section 3): momentum-free, since momentum destabilised the clipped critic.
    return torch.optim.RMSprop(params, lr=lr)


OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {"adam": _adam, "rmsprop": _rmsprop}


def make_optimizer(
    kind: str, params: Iterable[torch.nn.Parameter], lr: float, betas: tuple[float, float]
) -> torch.optim.Optimizer:
    """The optimizer `kind` ("adam" or "rmsprop"; RMSprop takes no betas) over `params`."""
    return OPTIMIZERS[kind](params, lr, betas)
