"""Metrics and the feature networks they need."""

from gankit.metrics.digits_net import DigitsFeatureNet, classify, extract_features, load_digits_net
from gankit.metrics.fid import feature_stats, fid_from_features, fid_from_stats
from gankit.metrics.preprocess import prepare_for_features

__all__ = [
    "DigitsFeatureNet",
    "classify",
    "extract_features",
    "feature_stats",
    "fid_from_features",
    "fid_from_stats",
    "load_digits_net",
    "prepare_for_features",
]
