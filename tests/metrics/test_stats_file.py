"""Statistics files: the .npz layout, the cache key, and the feature-space check."""

import numpy as np
import pytest
import torch

from gankit.errors import DataError
from gankit.metrics.provenance import ProvenanceError
from gankit.metrics.stats_file import (
    cache_path,
    check_same_features,
    images_sha256,
    load_stats,
    read_cached,
    save_stats,
)

META = {
    "feature_net": "digits-cnn",
    "feature_net_key": "digits",
    "feature_net_sha256": "a" * 64,
    "preprocessing": "to_uint8; BT.601 grey",
    "dataset": "digits test split (450 images)",
    "dataset_sha256": "b" * 64,
    "resolution": 32,
    "channels": 1,
    "count": 450,
}


def test_round_trip_keeps_mu_sigma_and_metadata(tmp_path):
    """Protects the layout: plain mu/sigma float64 arrays and the JSON metadata, no pickles."""
    mu, sigma = np.arange(3.0), np.eye(3)
    path = save_stats(tmp_path / "s.npz", mu, sigma, META)
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["gankit_meta", "mu", "sigma"] and data["mu"].dtype == np.float64
    got_mu, got_sigma, meta = load_stats(path)
    np.testing.assert_array_equal(got_mu, mu)
    np.testing.assert_array_equal(got_sigma, sigma)
    assert {k: meta[k] for k in META} == META and meta["format"] == "gankit-stats-v1"


@pytest.mark.parametrize("field", ["dataset_sha256", "feature_net_sha256", "resolution", "preprocessing", "count"])
def test_every_key_field_changes_the_cache_file(tmp_path, field):
    """Protects the cache key: dataset hash, network and weights, resolution, preprocessing and count all count."""
    other = {**META, field: META[field] * 2}
    assert cache_path(tmp_path, META) != cache_path(tmp_path, other)


def test_a_cached_file_with_other_key_fields_is_not_used(tmp_path):
    """Protects against reusing statistics stored under the same name with different metadata."""
    path = save_stats(tmp_path / "s.npz", np.zeros(2), np.eye(2), {**META, "count": 449})
    assert read_cached(path, META) is None
    assert read_cached(save_stats(tmp_path / "t.npz", np.zeros(2), np.eye(2), META), META) is not None


def test_feature_space_mismatch_names_both_values():
    """Protects the refusal to compare statistics of different feature spaces."""
    with pytest.raises(ProvenanceError, match=r"preprocessing: 'x' \(a.npz\) vs 'to_uint8; BT.601 grey' \(b.npz\)"):
        check_same_features({**META, "preprocessing": "x"}, META, "a.npz", "b.npz")
    check_same_features(META, {**META, "dataset": "another set", "count": 9}, "a", "b")  # other data: comparable


def test_bad_statistics_files_are_clear_errors(tmp_path):
    """Protects the messages for files without mu/sigma or with mismatched shapes."""
    np.savez(tmp_path / "a.npz", mean=np.zeros(2))
    with pytest.raises(DataError, match="needs 'mu' \\[D\\] and 'sigma' \\[D, D\\]"):
        load_stats(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", mu=np.zeros(2), sigma=np.eye(3))
    with pytest.raises(DataError, match="expected \\[D\\] and \\[D, D\\]"):
        load_stats(tmp_path / "b.npz")
    (tmp_path / "c.npz").write_text("not a zip")
    with pytest.raises(DataError, match="not a readable .npz"):
        load_stats(tmp_path / "c.npz")


def test_content_hash_sees_pixels_and_shape():
    """Protects the dataset content hash: one changed pixel or a reshape gives another hash."""
    images = torch.zeros(4, 1, 8, 8, dtype=torch.uint8)
    changed = images.clone()
    changed[0, 0, 0, 0] = 1
    assert len({images_sha256(images), images_sha256(changed), images_sha256(images.view(2, 2, 8, 8))}) == 3


def test_damaged_metadata_is_a_clear_error_naming_the_file(tmp_path):
    """A statistics file whose gankit_meta is not JSON is refused with its path, not a JSONDecodeError traceback."""
    path = tmp_path / "bad.npz"
    np.savez(path, mu=np.zeros(3), sigma=np.eye(3), gankit_meta="{not json")
    with pytest.raises(DataError, match=r"bad.npz: its 'gankit_meta' entry is not valid JSON"):
        load_stats(path)
