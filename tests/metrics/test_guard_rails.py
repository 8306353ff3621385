"""Every guard rail of issue 4 item 6 in one place: its message says what is wrong and what to change."""

import warnings

import numpy as np
import pytest
import torch

from gankit.metrics import (
    density_coverage,
    fid_from_features,
    inception_score,
    kid_from_features,
    precision_recall,
    prepare_for_features,
)
from gankit.metrics.catalog import FeatureSets, FidOptions, fid_metric
from gankit.metrics.fid import BiasedFidWarning, feature_stats


def _feats(n: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, dim))


def test_fid_with_fewer_samples_than_dimensions_warns_that_it_is_biased():
    """Protects the FID bias warning: it names both counts and the count to reach."""
    with pytest.warns(
        BiasedFidWarning, match="FID from 5 samples in 8 feature dimensions is biased upwards.*at least 8"
    ):
        fid_from_features(_feats(5), _feats(20, seed=1))
    results, _ = fid_metric(FeatureSets(_feats(5), _feats(20, seed=1)), FidOptions())
    assert "biased upwards" in results["warning"]


def test_fid_with_enough_samples_does_not_warn():
    """Protects against a warning that always fires."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fid_from_features(_feats(8), _feats(20, seed=1))
    assert "warning" not in fid_metric(FeatureSets(_feats(8), _feats(9, seed=1)), FidOptions())[0]


def test_kid_subset_larger_than_a_set_says_what_to_change():
    """Protects the KID subset guard."""
    with pytest.raises(ValueError, match=r"subset_size=50 must be in \[2, 30\] .* lower the subset size or use more"):
        kid_from_features(_feats(30), _feats(40, seed=1), subset_size=50)


def test_is_with_fewer_samples_than_splits_says_what_to_change():
    """Protects the IS splits guard."""
    with pytest.raises(ValueError, match="4 samples, splits=10; use more samples or fewer splits"):
        inception_score(np.full((4, 2), 0.5), splits=10)


@pytest.mark.parametrize(
    "call",
    [
        lambda e, f: feature_stats(e),
        lambda e, f: kid_from_features(e, f, subset_size=2),
        lambda e, f: inception_score(np.zeros((0, 10)), splits=1),
        lambda e, f: precision_recall(f, e),
        lambda e, f: density_coverage(f, e),
    ],
    ids=["fid", "kid", "is", "pr", "dc"],
)
def test_an_empty_set_fails_saying_what_to_change(call):
    """Protects the empty-set guard of every metric."""
    with pytest.raises(ValueError, match="pass a set with images in it"):
        call(_feats(0), _feats(10))


@pytest.mark.parametrize(
    ("images", "match"),
    [
        (torch.zeros(2, 1, 8, 8, dtype=torch.int32), "dtype torch.int32, expected uint8 in \\[0, 255\\] or float in"),
        (torch.full((2, 3, 8, 8), 200.0), "expected \\[-1, 1\\] .* pass \\[0, 255\\] images as uint8"),
        (torch.zeros(2, 4, 8, 8), "expected \\[N, C, H, W\\] with C = 1 or 3"),
        (np.zeros((2, 1, 8, 8)), "expected a torch.Tensor \\[N, C, H, W\\]"),
    ],
    ids=["dtype", "range", "channels", "type"],
)
def test_inputs_of_the_wrong_form_are_refused_with_the_expected_form(images, match):
    """Protects the input checks: wrong dtype, range, channel count or type name the expected form."""
    with pytest.raises((ValueError, TypeError), match=match):
        prepare_for_features(images, 16, 1)
