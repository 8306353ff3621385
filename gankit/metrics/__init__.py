"""Metrics and the feature networks they need."""

from gankit.metrics.digits_net import DigitsFeatureNet, classify, extract_features, load_digits_net
from gankit.metrics.feature_nets import ModuleFeatureNet, extract
from gankit.metrics.fid import feature_stats, fid_from_features, fid_from_stats
from gankit.metrics.inception import FIDInceptionV3
from gankit.metrics.inception_score import inception_score
from gankit.metrics.inception_weights import load_inception
from gankit.metrics.kid import kid_from_features
from gankit.metrics.lpips import LPIPS, load_lpips
from gankit.metrics.ppl import perceptual_path_length
from gankit.metrics.prdc import density_coverage, precision_recall
from gankit.metrics.preprocess import prepare_for_features
from gankit.metrics.provenance import ProvenanceError, check_comparable, compare_records

__all__ = [
    "LPIPS",
    "DigitsFeatureNet",
    "FIDInceptionV3",
    "ModuleFeatureNet",
    "ProvenanceError",
    "check_comparable",
    "compare_records",
    "density_coverage",
    "extract",
    "inception_score",
    "kid_from_features",
    "load_inception",
    "load_lpips",
    "perceptual_path_length",
    "precision_recall",
    "classify",
    "extract_features",
    "feature_stats",
    "fid_from_features",
    "fid_from_stats",
    "load_digits_net",
    "prepare_for_features",
]
