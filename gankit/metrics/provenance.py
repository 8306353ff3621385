"""What makes two metric records comparable, and the record names that carry the sample count.

A metric value means something only next to how it was made: FIDs from different feature networks, weights,
preprocessing, sample counts or reference sets are different quantities. Every record in metrics.jsonl carries
these fields, and `check_comparable` refuses to compare records that differ in any of `COMPARED_KEYS`.
"""

from typing import Any

from torch import nn

import gankit
from gankit.errors import GankitError

COMPARED_KEYS = (
    "metric",
    "feature_net",
    "feature_net_sha256",
    "preprocessing",
    "num_gen",
    "num_real",
    "real_set",
    "settings",
    "gankit_version",
)


class ProvenanceError(GankitError, ValueError):
    """Two metric records (or statistics) were made differently and cannot be compared."""


def count_tag(n: int) -> str:
    """A sample count as in metric names: 1000 -> '1k', 50000 -> '50k', 450 -> '450'."""
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def record_name(metric: str, num_gen: int, net_key: str) -> str:
    """The record name, carrying sample count and feature network: ('fid', 1000, 'digits') -> 'fid1k_digits'."""
    return f"{metric}{count_tag(num_gen)}_{net_key}"


def feature_fields(net: nn.Module, net_key: str) -> dict[str, str]:
    """The fields that name a feature space: network name, registry key, weight sha256, preprocessing rule."""
    return {
        "feature_net": net.name,
        "feature_net_key": net_key,
        "feature_net_sha256": net.weight_sha256,
        "preprocessing": net.preprocessing,
    }


def provenance(
    net: nn.Module,
    net_key: str,
    num_gen: int,
    num_real: int,
    real_set: str,
    seed: int,
    checkpoint: str | None = None,
) -> dict[str, Any]:
    """The fields every metric record carries about how it was made.

    Args:
        net: the feature network (its `name`, `weight_sha256` and `preprocessing` are recorded).
        net_key: the registry name it was chosen by (`digits`, `inception`) or a short name for a custom one.
        num_gen: generated samples.
        num_real: real samples.
        real_set: the real (reference) set, in words, e.g. "digits test split (450 images)".
        seed: the latent seed of the generated samples.
        checkpoint: the checkpoint folder the generator came from.
    """
    return {
        **feature_fields(net, net_key),
        "num_gen": num_gen,
        "num_real": num_real,
        "real_set": real_set,
        "seed": seed,
        "gankit_version": gankit.__version__,
        "checkpoint": checkpoint,
    }


def check_comparable(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Raise unless two metric records were made the same way.

    Args:
        a: a record from metrics.jsonl.
        b: another record.

    Raises:
        ProvenanceError: naming every key of `COMPARED_KEYS` whose values differ (or that one record lacks), with
            both values.
    """
    missing = object()
    diffs = [(k, a.get(k, missing), b.get(k, missing)) for k in COMPARED_KEYS if a.get(k, missing) != b.get(k, missing)]
    if diffs:
        show = lambda v: "<missing>" if v is missing else repr(v)  # noqa: E731
        details = "; ".join(f"{k}: {show(va)} vs {show(vb)}" for k, va, vb in diffs)
        raise ProvenanceError(
            f"metric records {a.get('name', '?')!r} and {b.get('name', '?')!r} are not comparable, they were made "
            f"differently: {details}. Recompute one of them with the other's settings"
        )


def compare_records(a: dict[str, Any], b: dict[str, Any]) -> dict[str, float]:
    """Differences b - a of the numeric results of two comparable records.

    Args:
        a: the baseline record.
        b: the record compared with it.

    Returns:
        result key -> b[key] - a[key], for every result the metric has (e.g. value, or precision and recall).

    Raises:
        ProvenanceError: when the records were made differently (see `check_comparable`).
    """
    check_comparable(a, b)
    return {key: b[key] - a[key] for key in a.get("result_keys", ["value"])}
