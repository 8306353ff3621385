"""Inception Score (Salimans et al. 2016, "Improved Techniques for Training GANs", section 4):

    IS = exp( E_x KL( p(y|x) || p(y) ) ),        p(y) = E_x p(y|x),

computed on each of `splits` consecutive parts of the sample set; the reported value is the mean over the parts and
its spread their standard deviation, as in the original evaluation code. Part k holds the rows
[k N // splits, (k + 1) N // splits), so every sample is used. Code names: `probs` holds p(y|x) row by row,
`marginal` is p(y). Sums are float64; 0 log 0 counts as 0.
"""

import numpy as np
import torch
from scipy.special import xlogy

from gankit.metrics.fid import EMPTY_HINT, _as_float64

PROB_TOLERANCE = 1e-3  # rows of class probabilities must sum to 1 within this (float32 softmax rounding)


def inception_score(probs: np.ndarray | torch.Tensor, splits: int = 10) -> tuple[float, float]:
    """Inception Score of a set of class-probability vectors.

    Args:
        probs: [N, K] class probabilities p(y|x) of N generated images (softmax outputs of a classifier), each row
            non-negative and summing to 1; N >= splits.
        splits: number of consecutive parts the score is computed on.

    Returns:
        is_mean: the mean score over the parts, in [1, K].
        is_std: the standard deviation over the parts (0 when splits = 1).

    Raises:
        ValueError: when probs is not [N, K] probabilities, or N < splits, or splits < 1.
    """
    # Validate the probabilities.
    probs = _as_float64("probs", probs)
    if probs.ndim != 2 or probs.shape[0] == 0:
        raise ValueError(f"probs has shape {list(probs.shape)}, expected a non-empty [N, num_classes]; {EMPTY_HINT}")
    if probs.min() < 0 or np.abs(probs.sum(axis=1) - 1).max() > PROB_TOLERANCE:
        raise ValueError(
            "probs must hold class probabilities (non-negative rows summing to 1, e.g. a softmax), "
            f"got values in [{probs.min():.3g}, {probs.max():.3g}] and row sums up to {probs.sum(axis=1).max():.4g}"
        )
    if splits < 1:
        raise ValueError(f"IS splits={splits} must be at least 1")
    n = probs.shape[0]
    if n < splits:
        raise ValueError(
            f"IS needs at least as many samples as splits: {n} samples, splits={splits}; "
            "use more samples or fewer splits"
        )

    # Score each part: exp of the mean KL divergence from the part's marginal.
    scores = np.empty(splits)
    for k in range(splits):
        part = probs[k * n // splits : (k + 1) * n // splits]
        marginal = part.mean(axis=0, keepdims=True)  # [1, K]
        kl = (xlogy(part, part) - xlogy(part, marginal)).sum(axis=1)  # [n_k, K] -> [n_k]
        scores[k] = np.exp(kl.mean())
    return float(scores.mean()), float(scores.std())
