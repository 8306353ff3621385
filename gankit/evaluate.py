"""`gankit eval`: metrics of a run's EMA generator, printed and appended to the run's metrics.jsonl.

The digits FID is reported next to its reference, the FID of an equally large subset of the real
train split against the test split with the same network, so that the bias of a finite sample
count cancels in the ratio: a generator as good as the data would score a ratio near 1.
"""

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch

from gankit.data.digits import load_digits_dataset
from gankit.errors import ConfigError
from gankit.metrics.digits_net import classify, extract_features, load_digits_net
from gankit.metrics.fid import fid_from_features
from gankit.registry import suggest
from gankit.run import Run
from gankit.train.stats import JsonlWriter

CONFIDENT = 0.9  # softmax probability above which a sample counts as a recognisable digit
REFERENCE_SEED = 0
PREPROCESSING = "to_uint8, BT.601 grey, bilinear antialiased resize to 32x32"  # see metrics/preprocess.py


def _digits_fid(run: Run, num_samples: int, seed: int) -> list[dict]:
    """FID on the digits network against the test split, its train-split reference, and class statistics."""
    cfg = run.cfg
    if cfg.data.source != "digits":
        raise NotImplementedError(
            f"the 'digits' feature network only measures runs trained on data.source='digits' (this run: "
            f"'{cfg.data.source}'); Inception-based FID for other data is not built yet"
        )
    net = load_digits_net()

    # Features of the test split, a train subset of the generated set's size, and the samples.
    test = load_digits_dataset("test", cfg.data.resolution, cfg.data.channels)
    train = load_digits_dataset("train", cfg.data.resolution, cfg.data.channels)
    n_ref = min(num_samples, len(train))
    ref_idx = torch.randperm(len(train), generator=torch.Generator().manual_seed(REFERENCE_SEED))[:n_ref]
    fake = run.sample(num_samples, seed=seed)
    test_feat = extract_features(net, test.images)
    fid = fid_from_features(extract_features(net, fake), test_feat)
    reference = fid_from_features(extract_features(net, train.images[ref_idx]), test_feat)

    # How many samples look like a digit, and how evenly the classes are covered.
    pred, conf = classify(net, fake)
    class_share = np.bincount(pred.numpy(), minlength=10) / num_samples
    common = {
        "feature_net": "digits-cnn",
        "feature_net_sha256": net.weight_sha256,
        "preprocessing": PREPROCESSING,
        "num_gen": num_samples,
        "seed": seed,
    }
    return [
        {
            "metric": "fid",
            "value": fid,
            "reference": reference,
            "ratio": fid / reference,
            "real_set": f"digits test split ({len(test)} images)",
            "reference_set": f"digits train split, {n_ref} images (seed {REFERENCE_SEED})",
            "num_real": len(test),
            **common,
        },
        {
            "metric": "digits_classes",
            "confident_share": float((conf >= CONFIDENT).float().mean()),
            "confidence_threshold": CONFIDENT,
            "class_share": [round(float(s), 4) for s in class_share],
            "min_class_share": float(class_share.min()),
            **common,
        },
    ]


METRICS: dict[str, Callable[[Run, int, int], list[dict]]] = {"fid": _digits_fid}


def format_record(rec: dict) -> str:
    if rec["metric"] == "fid":
        return (
            f"fid {rec['value']:.3f}  (reference {rec['reference']:.3f}: {rec['reference_set']} vs test; "
            f"ratio {rec['ratio']:.2f}x)  [{rec['feature_net']}, {rec['num_gen']} generated vs {rec['num_real']} real]"
        )
    if rec["metric"] == "digits_classes":
        shares = " ".join(f"{k}:{s:.2f}" for k, s in enumerate(rec["class_share"]))
        return (
            f"confident samples (p >= {rec['confidence_threshold']}) {rec['confident_share']:.1%}; "
            f"class shares {shares} (min {rec['min_class_share']:.1%})"
        )
    return json.dumps(rec)


def evaluate_run(
    run_path: str | Path, names: list[str], num_samples: int | None = None, seed: int = 123, device: str = "cpu"
) -> Iterator[str]:
    """Compute `names` for the run's latest checkpoint, append the records to metrics.jsonl, yield printable lines."""
    for name in names:
        if name not in METRICS:
            raise ConfigError(f"--metrics: '{name}' is not a known metric; {suggest(name, sorted(METRICS))}")
    run = Run.load(run_path, device=device)
    num_samples = num_samples or run.cfg.metrics.num_samples
    writer = JsonlWriter(Path(run.path) / "metrics.jsonl")
    yield f"evaluating {run.checkpoint} (kimg {run.kimg:.1f}) with {num_samples} samples"
    for name in names:
        start = time.perf_counter()
        for rec in METRICS[name](run, num_samples, seed):
            rec.update(snapshot=run.checkpoint.name, kimg=run.kimg, seconds=round(time.perf_counter() - start, 2))
            rec["time"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            writer.write(rec)
            yield format_record(rec)
