"""k-nearest-neighbour manifold metrics on feature sets.

Precision and recall follow Kynkaanniemi et al. 2019, "Improved Precision and Recall Metric for Assessing
Generative Models", section 2 (eq. 1-3), with k = 3: each set's manifold is the union of balls around its samples,
each ball's radius the distance to that sample's k-th nearest neighbour in its own set (the sample itself not
counted). Precision is the share of generated samples inside the real manifold, recall the share of real samples
inside the generated manifold. A point on a ball's boundary counts as inside (distance <= radius).

Density and coverage follow Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for Generative Models",
section 3 (eq. 3 and 4), with k = 5, using real-sample balls only:

    density  = 1 / (k M) sum_j sum_i 1[ Y_j in B(X_i, NND_k(X_i)) ]
    coverage = 1 / N     sum_i 1[ exists j: Y_j in B(X_i, NND_k(X_i)) ]

with a strict inequality (distance < radius), as the paper's definition of an open ball. Code names: `real` is X
(N samples), `fake` is Y (M samples), `radii` is NND_k. Distances are exact float64 pairwise differences (scipy's
cdist), computed in row chunks only to bound memory, so the results do not depend on `chunk_size`.
"""

import numpy as np
import torch
from scipy.spatial.distance import cdist

from gankit.metrics.fid import EMPTY_HINT, _as_float64

CHUNK_ROWS = 1024


def _check_pair(real: np.ndarray | torch.Tensor, fake: np.ndarray | torch.Tensor, k: int, knn_sets: tuple) -> tuple:
    real, fake = _as_float64("real", real), _as_float64("fake", fake)
    for name, feats in (("real", real), ("fake", fake)):
        if feats.ndim != 2 or feats.shape[0] == 0:
            raise ValueError(f"{name} has shape {list(feats.shape)}, expected a non-empty [N, D]; {EMPTY_HINT}")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"real has {real.shape[1]} feature dimensions but fake has {fake.shape[1]}; "
            "both sets must come from the same feature network"
        )
    if k < 1:
        raise ValueError(f"k={k} must be at least 1")
    for name, feats in (("real", real), ("fake", fake)):
        if name in knn_sets and feats.shape[0] <= k:
            raise ValueError(
                f"{name} has {feats.shape[0]} samples; a k-NN radius with k={k} needs at least {k + 1}: use more "
                "samples or a smaller k"
            )
    return real, fake


def knn_radii(feats: np.ndarray, k: int, chunk_size: int = CHUNK_ROWS) -> np.ndarray:
    """Distance of every sample to its k-th nearest neighbour in the same set, the sample itself excluded.

    Args:
        feats: float64 [N, D], N > k.
        k: the neighbour rank.
        chunk_size: rows of the distance matrix computed at once (memory only; the result does not depend on it).

    Returns:
        float64 [N].
    """
    radii = np.empty(len(feats))
    for i in range(0, len(feats), chunk_size):
        dist = cdist(feats[i : i + chunk_size], feats)  # [chunk, N]
        radii[i : i + chunk_size] = np.partition(dist, k, axis=1)[:, k]  # index 0 is the sample itself
    return radii


def _ball_hits(points: np.ndarray, centres: np.ndarray, radii: np.ndarray, strict: bool, chunk_size: int):
    """Per point: how many balls B(centre_i, radius_i) contain it. Per centre: whether any point is inside."""
    counts = np.zeros(len(points), dtype=np.int64)
    covered = np.zeros(len(centres), dtype=bool)
    for i in range(0, len(points), chunk_size):
        dist = cdist(points[i : i + chunk_size], centres)  # [chunk, N]
        inside = dist < radii[None] if strict else dist <= radii[None]
        counts[i : i + chunk_size] = inside.sum(axis=1)
        covered |= inside.any(axis=0)
    return counts, covered


def precision_recall(
    real: np.ndarray | torch.Tensor, fake: np.ndarray | torch.Tensor, k: int = 3, chunk_size: int = CHUNK_ROWS
) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019).

    Args:
        real: [N, D] features of real images, N > k.
        fake: [M, D] features of generated images, M > k.
        k: neighbour rank of the manifold radii (3 in the paper).
        chunk_size: rows of a distance matrix computed at once (memory only).

    Returns:
        precision: share of fake samples inside the real manifold, in [0, 1].
        recall: share of real samples inside the fake manifold, in [0, 1].

    Raises:
        ValueError: when a set is empty, not [N, D], has at most k samples, or the dimensions differ.
    """
    real, fake = _check_pair(real, fake, k, knn_sets=("real", "fake"))
    fake_in_real, _ = _ball_hits(fake, real, knn_radii(real, k, chunk_size), strict=False, chunk_size=chunk_size)
    real_in_fake, _ = _ball_hits(real, fake, knn_radii(fake, k, chunk_size), strict=False, chunk_size=chunk_size)
    return float((fake_in_real > 0).mean()), float((real_in_fake > 0).mean())


def density_coverage(
    real: np.ndarray | torch.Tensor, fake: np.ndarray | torch.Tensor, k: int = 5, chunk_size: int = CHUNK_ROWS
) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020).

    Args:
        real: [N, D] features of real images, N > k.
        fake: [M, D] features of generated images.
        k: neighbour rank of the real-sample radii (5 in the paper).
        chunk_size: rows of a distance matrix computed at once (memory only).

    Returns:
        density: mean number of real balls holding a fake sample, divided by k; >= 0, about 1 when the sets
            match, above 1 when fakes crowd around dense real regions.
        coverage: share of real balls holding at least one fake sample, in [0, 1].

    Raises:
        ValueError: when a set is empty or not [N, D], real has at most k samples, or the dimensions differ.
    """
    real, fake = _check_pair(real, fake, k, knn_sets=("real",))
    counts, covered = _ball_hits(fake, real, knn_radii(real, k, chunk_size), strict=True, chunk_size=chunk_size)
    return float(counts.sum() / (k * len(fake))), float(covered.mean())
