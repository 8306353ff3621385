"""Frechet Inception Distance on any feature space (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update
Rule Converge to a Local Nash Equilibrium", section 3 / appendix: the Frechet distance between two Gaussians).

    d^2 = |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1^1/2 S2 S1^1/2)^1/2)

Code names: `mu1`, `mu2` are the paper's means m, m_w; `sigma1`, `sigma2` its covariances C, C_w (here S1, S2).
The trace term equals the usual tr((S1 S2)^1/2), since S1 S2 and S1^1/2 S2 S1^1/2 share eigenvalues; the
symmetric form is used because its eigenvalues are real and, with S1^1/2 built from clipped eigenvalues, non-negative
up to rounding, so the result stays real and finite even for singular covariances (fewer samples than dimensions).
All statistics are float64.
"""

import warnings

import numpy as np
import torch

EMPTY_HINT = "pass a set with images in it (check the folder or split, or raise --num-samples)"


class BiasedFidWarning(UserWarning):
    """FID from fewer samples than feature dimensions: a singular covariance, and a value biased upwards."""


def biased_fid_warning(num_samples: int, feature_dim: int) -> str | None:
    """The warning text when a set of `num_samples` is smaller than `feature_dim`, else None."""
    if num_samples >= feature_dim:
        return None
    return (
        f"FID from {num_samples} samples in {feature_dim} feature dimensions is biased upwards (the covariance is "
        f"singular); use at least {feature_dim} samples, and compare only FIDs made with the same counts"
    )


def _as_float64(name: str, array: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().double().numpy()
    array = np.asarray(array, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def feature_stats(feats: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased covariance of a set of feature vectors.

    Args:
        feats: [N, D] features, N >= 2.

    Returns:
        mu: float64 [D].
        sigma: float64 [D, D], the covariance with N - 1 in the denominator.

    Raises:
        ValueError: when feats is not [N, D], has fewer than 2 rows, or holds NaN/inf.
    """
    feats = _as_float64("feats", feats)
    if feats.ndim != 2:
        raise ValueError(f"feats has shape {list(feats.shape)}, expected [N, D]")
    if feats.shape[0] < 2:
        hint = EMPTY_HINT if feats.shape[0] == 0 else "pass a set of 2 or more images"
        raise ValueError(f"feats has {feats.shape[0]} samples; a covariance needs at least 2: {hint}")
    mu = feats.mean(axis=0)
    centered = feats - mu
    sigma = centered.T @ centered / (feats.shape[0] - 1)  # [D, N] @ [N, D] -> [D, D]
    return mu, sigma


def _sqrt_psd(sigma: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix, with negative rounding-error eigenvalues clipped to 0."""
    eigvals, eigvecs = np.linalg.eigh(sigma)
    return (eigvecs * np.sqrt(np.clip(eigvals, 0, None))) @ eigvecs.T  # V diag(sqrt(w)) V^T


def fid_from_stats(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Frechet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    Args:
        mu1: [D] mean of the first set.
        sigma1: [D, D] covariance of the first set (symmetric PSD).
        mu2: [D] mean of the second set.
        sigma2: [D, D] covariance of the second set.

    Returns:
        The squared Frechet distance, a finite float >= 0.

    Raises:
        ValueError: when the shapes disagree or an input holds NaN/inf.
    """
    # Validate shapes.
    mu1, mu2 = _as_float64("mu1", mu1), _as_float64("mu2", mu2)
    sigma1, sigma2 = _as_float64("sigma1", sigma1), _as_float64("sigma2", sigma2)
    if mu1.ndim != 1:
        raise ValueError(f"mu1 has shape {list(mu1.shape)}, expected [D]")
    dim = mu1.shape[0]
    for name, value, want in (("mu2", mu2, (dim,)), ("sigma1", sigma1, (dim, dim)), ("sigma2", sigma2, (dim, dim))):
        if value.shape != want:
            raise ValueError(
                f"{name} has shape {list(value.shape)}, expected {list(want)} to match mu1 of length {dim}"
            )

    # Symmetrise, so eigh sees exactly symmetric matrices despite rounding in their computation.
    sigma1 = (sigma1 + sigma1.T) / 2
    sigma2 = (sigma2 + sigma2.T) / 2

    # Trace term tr((S1^1/2 S2 S1^1/2)^1/2): eigenvalues of a symmetric PSD product, clipped at 0.
    sqrt1 = _sqrt_psd(sigma1)
    product = sqrt1 @ sigma2 @ sqrt1
    product = (product + product.T) / 2
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh(product), 0, None)).sum()

    # Combine; rounding can push a distance of 0 to about -1e-13, so clip at 0.
    diff = mu1 - mu2
    fid = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt
    return float(max(fid, 0.0))


def fid_from_features(feat_a: np.ndarray | torch.Tensor, feat_b: np.ndarray | torch.Tensor) -> float:
    """FID between two sets of features from the same network.

    Args:
        feat_a: [N_a, D] features of the first set (e.g. real images), N_a >= 2.
        feat_b: [N_b, D] features of the second set (e.g. generated images), N_b >= 2.

    Returns:
        The squared Frechet distance between their Gaussian fits, a finite float >= 0.

    Raises:
        ValueError: when either set is not [N, D] with N >= 2, or the feature dimensions differ.

    Warns:
        BiasedFidWarning: when a set has fewer samples than feature dimensions.
    """
    mu_a, sigma_a = feature_stats(feat_a)
    mu_b, sigma_b = feature_stats(feat_b)
    if mu_a.shape != mu_b.shape:
        raise ValueError(
            f"feat_a has {mu_a.shape[0]} feature dimensions but feat_b has {mu_b.shape[0]}; "
            "both sets must come from the same feature network"
        )
    warning = biased_fid_warning(min(len(feat_a), len(feat_b)), mu_a.shape[0])
    if warning:
        warnings.warn(warning, BiasedFidWarning, stacklevel=2)
    return fid_from_stats(mu_a, sigma_a, mu_b, sigma_b)
