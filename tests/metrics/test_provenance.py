import pytest

from gankit.metrics.provenance import ProvenanceError, check_comparable, compare_records, count_tag, record_name

BASE = {
    "metric": "fid",
    "name": "fid1k_digits",
    "value": 10.0,
    "result_keys": ["value"],
    "feature_net": "digits-cnn",
    "feature_net_sha256": "a" * 64,
    "preprocessing": "rule",
    "num_gen": 1000,
    "num_real": 450,
    "real_set": "digits test split (450 images)",
    "settings": {},
    "gankit_version": "0.1.0",
    "seed": 1,
    "checkpoint": "x",
}


@pytest.mark.parametrize(("n", "tag"), [(1000, "1k"), (50000, "50k"), (450, "450"), (1500, "1500")])
def test_count_tag(n, tag):
    assert count_tag(n) == tag
    assert record_name("kid", n, "inception") == f"kid{tag}_inception"


def test_same_provenance_compares_across_checkpoints_and_seeds():
    other = {**BASE, "value": 7.5, "seed": 2, "checkpoint": "y"}
    assert compare_records(BASE, other) == {"value": -2.5}


@pytest.mark.parametrize(
    ("key", "value", "match"),
    [
        ("feature_net_sha256", "b" * 64, "feature_net_sha256"),
        ("feature_net", "inception-v3-tf-2015-12-05", "feature_net: 'digits-cnn' vs 'inception"),
        ("num_real", 100, "num_real: 450 vs 100"),
        ("preprocessing", "other", "preprocessing"),
        ("settings", {"k": 5}, "settings"),
    ],
)
def test_differing_provenance_is_refused_naming_both_values(key, value, match):
    """Protects against comparing numbers made differently (network, weights, counts, rule, settings)."""
    with pytest.raises(ProvenanceError, match=match):
        compare_records(BASE, {**BASE, key: value})


def test_a_record_without_provenance_is_refused():
    with pytest.raises(ProvenanceError, match="feature_net_sha256: <missing>"):
        check_comparable({k: v for k, v in BASE.items() if k != "feature_net_sha256"}, BASE)
