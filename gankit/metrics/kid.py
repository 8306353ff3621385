"""Kernel Inception Distance (Binkowski et al. 2018, "Demystifying MMD GANs", section 4 and appendix A).

KID is the unbiased estimate of the squared maximum mean discrepancy (Gretton et al. 2012, "A Kernel Two-Sample
Test", Lemma 6, MMD^2_u) with the cubic polynomial kernel

    k(x, y) = (x . y / d + 1)^3,        d = feature dimension,

averaged over random subsets of equal size m drawn without replacement from each set:

    MMD^2_u = 1/(m(m-1)) sum_{i != j} k(x_i, x_j) + 1/(m(m-1)) sum_{i != j} k(y_i, y_j) - 2/m^2 sum_{i, j} k(x_i, y_j)

Code names: `feat_a` is the paper's X (real features), `feat_b` its Y (generated features), `subset_size` m.
Unlike FID, the estimate is unbiased at any m, so KIDs at different sample counts are closer to comparable, but
records still carry the counts. All kernel sums are float64.
"""

import numpy as np
import torch

from gankit.metrics.fid import EMPTY_HINT, _as_float64


def polynomial_kernel(a: np.ndarray, b: np.ndarray, degree: int = 3, coef0: float = 1.0) -> np.ndarray:
    """k(a_i, b_j) = (a_i . b_j / d + coef0)^degree for every pair.

    Args:
        a: float64 [N, D].
        b: float64 [M, D].

    Returns:
        float64 [N, M].
    """
    return (a @ b.T / a.shape[1] + coef0) ** degree  # [N, D] @ [D, M] -> [N, M]


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased squared MMD between two samples of equal size m >= 2 with the cubic polynomial kernel.

    Args:
        x: float64 [m, D].
        y: float64 [m, D].

    Returns:
        MMD^2_u; it can be slightly negative when the two distributions are equal.
    """
    m = x.shape[0]
    k_xx = polynomial_kernel(x, x)
    k_yy = polynomial_kernel(y, y)
    k_xy = polynomial_kernel(x, y)
    sum_xx = k_xx.sum() - np.trace(k_xx)  # i != j
    sum_yy = k_yy.sum() - np.trace(k_yy)
    return float((sum_xx + sum_yy) / (m * (m - 1)) - 2 * k_xy.sum() / (m * m))


def kid_from_features(
    feat_a: np.ndarray | torch.Tensor,
    feat_b: np.ndarray | torch.Tensor,
    subset_size: int = 1000,
    num_subsets: int = 100,
    seed: int = 0,
) -> tuple[float, float]:
    """KID between two sets of features from the same network: mean and std of MMD^2_u over random subsets.

    Args:
        feat_a: [N_a, D] features of the first set (e.g. real images).
        feat_b: [N_b, D] features of the second set (e.g. generated images).
        subset_size: m, the rows drawn without replacement from each set for one estimate; at least 2 and at
            most min(N_a, N_b).
        num_subsets: how many subset pairs are drawn; the result is their mean and (population) std.
        seed: seed of the subset draws, so the result is reproducible.

    Returns:
        kid_mean: the mean of the estimates (the reported KID).
        kid_std: their standard deviation (0 when num_subsets = 1).

    Raises:
        ValueError: when a set is not [N, D], the dimensions differ, subset_size is below 2 or larger than a
            set, num_subsets is below 1, or a value is NaN/inf.
    """
    # Validate the sets and the subset request.
    feat_a, feat_b = _as_float64("feat_a", feat_a), _as_float64("feat_b", feat_b)
    for name, feats in (("feat_a", feat_a), ("feat_b", feat_b)):
        if feats.ndim != 2 or feats.shape[0] == 0:
            raise ValueError(f"{name} has shape {list(feats.shape)}, expected a non-empty [N, D]; {EMPTY_HINT}")
    if feat_a.shape[1] != feat_b.shape[1]:
        raise ValueError(
            f"feat_a has {feat_a.shape[1]} feature dimensions but feat_b has {feat_b.shape[1]}; "
            "both sets must come from the same feature network"
        )
    smallest = min(len(feat_a), len(feat_b))
    if subset_size < 2 or subset_size > smallest:
        raise ValueError(
            f"KID subset_size={subset_size} must be in [2, {smallest}] (the smaller set has {smallest} samples; "
            f"sets: {len(feat_a)} and {len(feat_b)}); lower the subset size or use more samples"
        )
    if num_subsets < 1:
        raise ValueError(f"KID num_subsets={num_subsets} must be at least 1")

    # Estimate MMD^2_u on each pair of subsets, drawn from one seeded stream.
    rng = np.random.default_rng(seed)
    estimates = np.empty(num_subsets)
    for s in range(num_subsets):
        idx_a = rng.choice(len(feat_a), subset_size, replace=False)
        idx_b = rng.choice(len(feat_b), subset_size, replace=False)
        estimates[s] = mmd2_unbiased(feat_a[idx_a], feat_b[idx_b])
    return float(estimates.mean()), float(estimates.std())
