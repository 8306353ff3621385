"""The metric registry: each metric is a function of feature sets, with a typed options model.

`gankit eval --metrics fid,kid,is,pr,dc,ppl` looks every name up here (`gankit.registry.METRICS`). A feature metric
gets the features of the real and generated sets (and the generated images' class probabilities when it needs them)
and returns its results and the settings it used; the settings go into the record, so records made with other
settings never compare. PPL and the equivariance metrics EQ-T/EQ-R (`GENERATOR_METRICS`) are metrics of the
generator itself and get the generator (and, for PPL, an LPIPS network) instead.
"""

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from gankit.metrics import feature_nets  # noqa: F401  (fills FEATURE_NETS)
from gankit.metrics.equivariance_metric import EQUIVARIANCE_METRICS
from gankit.metrics.fid import biased_fid_warning, feature_stats, fid_from_stats
from gankit.metrics.inception_score import inception_score
from gankit.metrics.kid import kid_from_features
from gankit.metrics.ppl import perceptual_path_length
from gankit.metrics.prdc import density_coverage, precision_recall
from gankit.registry import METRICS


@dataclass
class FeatureSets:
    """What metrics are computed from.

    A set given only by its statistics (a statistics file) has features None and its Gaussian fit in
    `real_stats`/`fake_stats`; only FID can use it.

    Attributes:
        real: float64 [N_real, D] features of the real set, or None.
        fake: float64 [N_gen, D] features of the generated set, or None.
        fake_probs: float64 [N_gen, K] class probabilities of the generated set, when a metric needs them.
        reference: float64 [N_ref, D] features of a second real set (FID's finite-sample reference), or None.
        real_stats: (mu [D], sigma [D, D]) of the real set when its features are not at hand.
        fake_stats: (mu [D], sigma [D, D]) of the generated set when its features are not at hand.
    """

    real: np.ndarray | None
    fake: np.ndarray | None
    fake_probs: np.ndarray | None = None
    reference: np.ndarray | None = None
    real_stats: tuple[np.ndarray, np.ndarray] | None = None
    fake_stats: tuple[np.ndarray, np.ndarray] | None = None

    def gaussian(self, side: str) -> tuple[np.ndarray, np.ndarray]:
        """(mu, sigma) of "real", "fake" or "reference", from the given statistics or the features."""
        given = {"real": self.real_stats, "fake": self.fake_stats}.get(side)
        return given if given is not None else feature_stats(getattr(self, side))


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FidOptions(_Options):
    """FID has no settings."""


class KidOptions(_Options):
    """KID settings. `subset_size` None means min(1000, N_real, N_gen); the size used is recorded."""

    subset_size: int | None = Field(None, ge=2)
    num_subsets: int = Field(100, ge=1)
    seed: int = Field(0, ge=0)


class IsOptions(_Options):
    """Inception Score: the number of consecutive parts (10 in the original evaluation)."""

    splits: int = Field(10, ge=1)


class PrOptions(_Options):
    """Precision/recall: neighbour rank of the manifold radii (3 in Kynkaanniemi et al. 2019)."""

    k: int = Field(3, ge=1)


class DcOptions(_Options):
    """Density/coverage: neighbour rank of the real radii (5 in Naeem et al. 2020)."""

    k: int = Field(5, ge=1)


@METRICS.register("fid", options=FidOptions)
def fid_metric(sets: FeatureSets, options: FidOptions) -> tuple[dict[str, Any], dict[str, Any]]:
    """FID of generated vs real; with a reference set, also the reference's FID and the ratio of the two.

    A set with fewer samples than feature dimensions adds a `warning` to the results (FID is biased upwards there).
    """
    real, fake = sets.gaussian("real"), sets.gaussian("fake")
    value = fid_from_stats(*fake, *real)
    results: dict[str, Any] = {"value": value}
    counts = [len(f) for f in (sets.real, sets.fake) if f is not None]
    warning = biased_fid_warning(min(counts), len(real[0])) if counts else None
    if warning:
        results["warning"] = warning
    if sets.reference is not None:
        reference = fid_from_stats(*sets.gaussian("reference"), *real)
        results.update(reference=reference, ratio=value / reference if reference > 0 else float("inf"))
    return results, {}


@METRICS.register("kid", options=KidOptions)
def kid_metric(sets: FeatureSets, options: KidOptions) -> tuple[dict[str, Any], dict[str, Any]]:
    """KID mean (`value`) and std over random subsets."""
    size = options.subset_size or min(1000, len(sets.real), len(sets.fake))
    mean, std = kid_from_features(sets.real, sets.fake, size, options.num_subsets, options.seed)
    return {"value": mean, "std": std}, {"subset_size": size, "num_subsets": options.num_subsets, "seed": options.seed}


@METRICS.register("is", options=IsOptions)
def is_metric(sets: FeatureSets, options: IsOptions) -> tuple[dict[str, Any], dict[str, Any]]:
    """Inception Score mean (`value`) and std over the splits, from the generated set's class probabilities."""
    assert sets.fake_probs is not None, "evaluate passes class probabilities to the IS metric"
    mean, std = inception_score(sets.fake_probs, options.splits)
    return {"value": mean, "std": std}, {"splits": options.splits}


@METRICS.register("pr", options=PrOptions)
def pr_metric(sets: FeatureSets, options: PrOptions) -> tuple[dict[str, Any], dict[str, Any]]:
    """Improved precision and recall."""
    precision, recall = precision_recall(sets.real, sets.fake, k=options.k)
    return {"precision": precision, "recall": recall}, {"k": options.k}


@METRICS.register("dc", options=DcOptions)
def dc_metric(sets: FeatureSets, options: DcOptions) -> tuple[dict[str, Any], dict[str, Any]]:
    """Density and coverage."""
    density, coverage = density_coverage(sets.real, sets.fake, k=options.k)
    return {"density": density, "coverage": coverage}, {"k": options.k}


class PplOptions(_Options):
    """Perceptual path length: the space, t sampling, step and LPIPS variant (StyleGAN's evaluation: W, end, 1e-4,
    VGG-16), and the path segments per forward pass (the result does not depend on it)."""

    space: Literal["z", "w"] = "w"
    sampling: Literal["end", "full"] = "end"
    epsilon: float = Field(1e-4, gt=0)
    lpips: Literal["alex", "vgg"] = "vgg"
    batch_size: int = Field(32, ge=1)


@METRICS.register("ppl", options=PplOptions)
def ppl_metric(
    G: nn.Module, distance: nn.Module, num_samples: int, seed: int, options: PplOptions
) -> tuple[dict[str, Any], dict[str, Any]]:
    """PPL of a generator with a mapping network (`G.mapping`, `G.synthesis`), with `distance` an LPIPS network.

    Grey images are repeated to RGB for LPIPS; the synthesis runs with constant noise, so both ends of a segment
    differ only by their latents.
    """

    def rgb_distance(img_a: torch.Tensor, img_b: torch.Tensor) -> torch.Tensor:
        if img_a.shape[1] == 1:
            img_a, img_b = img_a.expand(-1, 3, -1, -1), img_b.expand(-1, 3, -1, -1)  # [N, 1, H, W] -> [N, 3, H, W]
        return distance(img_a, img_b)

    device = next(G.parameters()).device
    value = perceptual_path_length(
        G.mapping,
        lambda ws: G.synthesis(ws, "const"),
        rgb_distance,
        G.z_dim,
        num_samples=num_samples,
        space=options.space,
        sampling=options.sampling,
        epsilon=options.epsilon,
        batch_size=options.batch_size,
        seed=seed,
        device=device,
    )
    settings = {"space": options.space, "sampling": options.sampling, "epsilon": options.epsilon}
    return {"value": value}, {**settings, "lpips": options.lpips}


NEEDS_PROBS = {"is"}
GENERATOR_METRICS = {"ppl", *EQUIVARIANCE_METRICS}  # metrics of a generator itself, not of feature sets
