"""Bias, activation and gain in one call, in plain PyTorch (the StyleGAN2 bias_act operator).

Each activation carries a default gain that keeps unit variance through the layer for
unit-variance input (He et al. 2015): sqrt(2) for ReLU-like activations, 1 otherwise. An optional
clamp bounds the output to [-clamp, clamp] after the gain, as StyleGAN2-ADA does for mixed precision.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Activation:
    fn: Callable[[torch.Tensor, float], torch.Tensor]
    default_gain: float
    default_alpha: float = 0.0


ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation(lambda x, a: x, 1.0),
    "relu": Activation(lambda x, a: F.relu(x), math.sqrt(2)),
    "lrelu": Activation(lambda x, a: F.leaky_relu(x, a), math.sqrt(2), 0.2),
    "tanh": Activation(lambda x, a: torch.tanh(x), 1.0),
    "sigmoid": Activation(lambda x, a: torch.sigmoid(x), 1.0),
    "elu": Activation(lambda x, a: F.elu(x), 1.0),
    "selu": Activation(lambda x, a: F.selu(x), 1.0),
    "softplus": Activation(lambda x, a: F.softplus(x), 1.0),
    "swish": Activation(lambda x, a: F.silu(x), math.sqrt(2)),
}


def activation_gain(act: str) -> float:
    """The default gain of activation `act`."""
    return _get(act).default_gain


def _get(act: str) -> Activation:
    if act not in ACTIVATIONS:
        raise ValueError(f"activation '{act}' is not known; choices: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[act]


def bias_act(
    x: torch.Tensor,
    b: torch.Tensor | None = None,
    dim: int = 1,
    act: str = "linear",
    alpha: float | None = None,
    gain: float | None = None,
    clamp: float | None = None,
) -> torch.Tensor:
    """clamp(act(x + b) * gain): add a bias along `dim`, apply an activation, scale, clamp.

    Args:
        x: any shape, e.g. [N, C, H, W] or [N, C].
        b: [x.shape[dim]] or None.
        dim: the dimension the bias runs along.
        act: a key of ACTIVATIONS.
        alpha: the negative slope of 'lrelu' (default 0.2).
        gain: output scale; None uses the activation's default gain.
        clamp: bound on |output| after the gain, or None.

    Returns:
        A tensor of x's shape.
    """
    spec = _get(act)
    if b is not None:
        if b.ndim != 1 or b.shape[0] != x.shape[dim]:
            raise ValueError(f"bias has shape {list(b.shape)}, expected [{x.shape[dim]}] for dim {dim} of x")
        x = x + b.reshape([-1 if i == dim else 1 for i in range(x.ndim)])
    x = spec.fn(x, spec.default_alpha if alpha is None else alpha)
    gain = spec.default_gain if gain is None else gain
    if gain != 1:
        x = x * gain
    if clamp is not None:
        x = x.clamp(-clamp, clamp)
    return x
