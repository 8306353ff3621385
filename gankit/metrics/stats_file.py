"""Reference statistics files: FID's Gaussian fit of a feature set, cached on disk with how it was made.

A statistics file is an `.npz` with `mu` (float64 [D]) and `sigma` (float64 [D, D]), the layout other FID tools
read and write (pytorch-fid, the TensorFlow FID code), plus one extra entry `gankit_meta`: a JSON string with

- `feature_net`, `feature_net_key`, `feature_net_sha256`, `preprocessing`: the feature space (`FEATURE_KEYS`);
- `dataset`, `dataset_sha256`: the image set in words and the sha256 of its uint8 pixels and shape;
- `resolution`, `channels`: the size the images were decoded at; `count`: how many images;
- `format`: this layout's version, `gankit_version`.

The cache folder (default `~/.cache/gankit/stats`, `eval.stats_dir` or `gankit eval --stats-cache DIR`) holds one
file per key: dataset hash, feature network and weights, resolution, preprocessing and count (`cache_key`). Two
statistics compare only when their feature space fields are equal (`check_same_features`).
"""

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

import gankit
from gankit.errors import DataError
from gankit.metrics.provenance import ProvenanceError

FORMAT = "gankit-stats-v1"
FEATURE_KEYS = ("feature_net", "feature_net_sha256", "preprocessing")
KEY_FIELDS = ("dataset_sha256", "feature_net", "feature_net_sha256", "resolution", "preprocessing", "count")


def default_cache_dir() -> Path:
    """~/.cache/gankit/stats (read when called, not at import)."""
    return Path.home() / ".cache" / "gankit" / "stats"


def images_sha256(images: torch.Tensor) -> str:
    """sha256 of a uint8 image set's shape and pixels: the dataset content hash of the cache key.

    Args:
        images: uint8 [N, C, H, W].
    """
    digest = hashlib.sha256(str(list(images.shape)).encode())
    digest.update(images.contiguous().numpy().tobytes())
    return digest.hexdigest()


def cache_key(meta: dict[str, Any]) -> str:
    """The first 20 hex digits of the sha256 over the key fields of a statistics file's metadata."""
    fields = {k: meta[k] for k in KEY_FIELDS}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:20]


def cache_path(cache_dir: str | Path, meta: dict[str, Any]) -> Path:
    """Where the statistics of `meta` live in `cache_dir`: <feature_net>-<count>-<key>.npz."""
    return Path(cache_dir) / f"{meta['feature_net']}-{meta['count']}-{cache_key(meta)}.npz"


def save_stats(path: str | Path, mu: np.ndarray, sigma: np.ndarray, meta: dict[str, Any]) -> Path:
    """Write a statistics file atomically (a temporary file in the same folder, then a rename).

    Args:
        path: the .npz to write; its folder is created.
        mu: [D] feature mean.
        sigma: [D, D] feature covariance.
        meta: the metadata fields listed in the module docstring.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {**meta, "format": FORMAT, "gankit_version": gankit.__version__}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(
                f, mu=np.asarray(mu, np.float64), sigma=np.asarray(sigma, np.float64), gankit_meta=json.dumps(meta)
            )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_stats(path: str | Path) -> tuple[np.ndarray, np.ndarray, dict[str, Any] | None]:
    """Read a statistics file written by gankit or another FID tool (no pickles are loaded).

    Args:
        path: an .npz holding `mu` [D] and `sigma` [D, D], optionally `gankit_meta`.

    Returns:
        mu: float64 [D].
        sigma: float64 [D, D].
        meta: gankit's metadata, or None for a file another tool wrote.

    Raises:
        DataError: when the file is missing, not an npz, lacks `mu`/`sigma`, or their shapes disagree.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"statistics file {path} does not exist; expected an .npz with 'mu' and 'sigma'")
    try:
        with np.load(path, allow_pickle=False) as data:
            entries = {k: data[k] for k in data.files}
    except (OSError, ValueError) as exc:
        raise DataError(f"{path} is not a readable .npz statistics file ({exc}); expected 'mu' and 'sigma'") from None
    if "mu" not in entries or "sigma" not in entries:
        raise DataError(f"{path} holds {sorted(entries)}; a statistics file needs 'mu' [D] and 'sigma' [D, D]")
    mu, sigma = entries["mu"].astype(np.float64), entries["sigma"].astype(np.float64)
    if mu.ndim != 1 or sigma.shape != (len(mu), len(mu)):
        raise DataError(f"{path}: mu has shape {list(mu.shape)} and sigma {list(sigma.shape)}; expected [D] and [D, D]")
    meta = None
    if "gankit_meta" in entries:
        try:
            meta = json.loads(str(entries["gankit_meta"]))
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{path}: its 'gankit_meta' entry is not valid JSON ({exc.msg}); the file is damaged, delete it "
                "(a cached file is rebuilt on the next eval) or rewrite it with gankit"
            ) from None
        if not isinstance(meta, dict):
            raise DataError(f"{path}: its 'gankit_meta' entry is not a JSON object; delete or rewrite the file")
    return mu, sigma, meta


def check_same_features(a: dict[str, Any], b: dict[str, Any], what_a: str, what_b: str) -> None:
    """Raise unless two statistics (or a statistics file and a feature network) share one feature space.

    Args:
        a: metadata with the `FEATURE_KEYS` fields.
        b: the other metadata.
        what_a: what `a` describes, for the message (e.g. the file name).
        what_b: what `b` describes.

    Raises:
        ProvenanceError: naming every differing field with both values.
    """
    diffs = [f"{k}: {a.get(k)!r} ({what_a}) vs {b.get(k)!r} ({what_b})" for k in FEATURE_KEYS if a.get(k) != b.get(k)]
    if diffs:
        raise ProvenanceError(
            f"the statistics of {what_a} and {what_b} were made in different feature spaces and cannot be compared: "
            f"{'; '.join(diffs)}. Recompute one of them with the other's feature network (--features)"
        )


def read_cached(path: Path, meta: dict[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """The cached statistics at `path` when they exist and their key fields equal `meta`'s, else None."""
    if not path.is_file():
        return None
    mu, sigma, stored = load_stats(path)
    if stored is None or any(stored.get(k) != meta[k] for k in KEY_FIELDS):
        return None  # another key under the same name (a hash-prefix collision or a hand-edited file): recompute
    return mu, sigma
