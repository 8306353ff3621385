"""`gankit eval`: metrics of a run's EMA generator, printed and appended to the run's metrics.jsonl.

The real set is the digits test split. Features are extracted once per set and shared by all requested metrics
(FID, KID, IS, precision/recall, density/coverage; see `gankit.metrics.catalog`). Every record carries its
provenance (`gankit.metrics.provenance`): feature network and weight hash, preprocessing, both sample counts, the
real set, the settings, seed, gankit version and checkpoint, and a name carrying the sample count (fid1k_digits).

The digits FID is reported next to its reference, the FID of an equally large subset of the real train split
against the test split with the same network, so that the bias of a finite sample count cancels in the ratio: a
generator as good as the data would score a ratio near 1.
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from gankit.data.digits import load_digits_dataset
from gankit.errors import ConfigError
from gankit.metrics.catalog import NEEDS_PROBS, FeatureSets
from gankit.metrics.digits_net import load_digits_net
from gankit.metrics.feature_nets import extract, has_classifier
from gankit.metrics.provenance import provenance, record_name
from gankit.metrics.stacked_modes import DEFAULT_SAMPLES, mode_stats, triple_modes
from gankit.registry import FEATURE_NETS, METRICS
from gankit.run import Run
from gankit.train.stats import JsonlWriter

CONFIDENT = 0.9  # softmax probability above which a sample counts as a recognisable digit
REFERENCE_SEED = 0
RESULT_KEYS = ("value", "std", "reference", "ratio", "precision", "recall", "density", "coverage")


def _digits_classes(probs: np.ndarray) -> dict:
    """How many samples look like a digit, and how evenly the classes are covered (digits network only)."""
    pred, conf = probs.argmax(axis=1), probs.max(axis=1)
    class_share = np.bincount(pred, minlength=probs.shape[1]) / len(probs)
    return {
        "confident_share": float((conf >= CONFIDENT).mean()),
        "confidence_threshold": CONFIDENT,
        "class_share": [round(float(s), 4) for s in class_share],
        "min_class_share": float(class_share.min()),
    }


def _feature_sets(run: Run, net: torch.nn.Module, names: list[str], num_samples: int, seed: int, digits: bool):
    """Features of the test split, the samples, and (for FID) a train subset as large as the generated set."""
    cfg = run.cfg
    test = load_digits_dataset("test", cfg.data.resolution, cfg.data.channels)
    fake_img = run.sample(num_samples, seed=seed)
    with_probs = bool(NEEDS_PROBS & set(names)) or (digits and "fid" in names)
    fake, probs = extract(net, fake_img, with_probs=with_probs)
    real, _ = extract(net, test.images)
    reference, ref_note = None, None
    if "fid" in names:
        train = load_digits_dataset("train", cfg.data.resolution, cfg.data.channels)
        n_ref = min(num_samples, len(train))
        ref_idx = torch.randperm(len(train), generator=torch.Generator().manual_seed(REFERENCE_SEED))[:n_ref]
        reference, _ = extract(net, train.images[ref_idx])
        ref_note = f"digits train split, {n_ref} images (seed {REFERENCE_SEED})"
    return FeatureSets(real, fake, probs, reference), f"digits test split ({len(test)} images)", ref_note


def evaluate_run(
    run_path: str | Path,
    names: list[str] | None,
    num_samples: int | None = None,
    seed: int = 123,
    device: str = "cpu",
    features: str | None = None,
    inception_weights: str | Path | None = None,
) -> Iterator[str]:
    """Compute `names` for the run's latest checkpoint, append the records to metrics.jsonl, yield printable lines.

    Args:
        run_path: a run folder or one of its checkpoint folders.
        names: metric registry names (fid, kid, is, pr, dc).
        num_samples: generated samples (default: the run's metrics.num_samples).
        seed: latent seed of the generated set.
        device: where the generator and feature network run.
        features: feature network registry name (default: the run's metrics.feature_net).
        inception_weights: the Inception weight file (default: metrics.inception_weights, then ~/.cache/gankit).

    Raises:
        ConfigError: for an unknown metric or feature network, or IS with a network that has no classifier.
        ConfigError: also for runs not trained on the built-in digits or stacked digits (no other real set yet).
    """
    # Stacked digits are measured by their mode coverage, not by features.
    run = Run.load(run_path, device=device)
    cfg = run.cfg
    if cfg.data.source == "stacked-digits":
        yield from _stacked_modes(run, names or ["modes"], num_samples, seed)
        return
    names = names or ["fid"]

    # Validate names before any work.
    entries = {name: METRICS.get(name, key="--metrics") for name in names}
    net_key = features or cfg.metrics.feature_net
    build = FEATURE_NETS.get(net_key, key="--features").build
    if cfg.data.source != "digits":
        # TODO(real sets from folders, zips and statistics files; issue 4 item 7): only digits runs evaluate
        raise ConfigError(
            f"gankit eval measures runs trained on data.source='digits' (FID and more) or 'stacked-digits' "
            f"(--metrics modes); this run uses '{cfg.data.source}', and other real sets are not wired into eval yet"
        )
    weights = (inception_weights or cfg.metrics.inception_weights) if net_key == "inception" else None
    net = build(device, weights)
    if NEEDS_PROBS & set(names) and not has_classifier(net):
        raise ConfigError(f"--metrics is needs class probabilities, but feature network '{net_key}' has no classifier")
    num_samples = num_samples or cfg.metrics.num_samples
    yield f"evaluating {run.checkpoint} (kimg {run.kimg:.1f}) with {num_samples} samples, features '{net_key}'"

    # Extract features once for all metrics.
    start = time.perf_counter()
    sets, real_set, ref_note = _feature_sets(run, net, names, num_samples, seed, digits=net_key == "digits")
    extract_seconds = round(time.perf_counter() - start, 2)
    common = provenance(net, net_key, num_samples, len(sets.real), real_set, seed, str(run.checkpoint))
    common.update(snapshot=run.checkpoint.name, kimg=run.kimg, extract_seconds=extract_seconds)

    # Compute each metric and append its record.
    writer = JsonlWriter(Path(run.path) / "metrics.jsonl")
    for name, entry in entries.items():
        start = time.perf_counter()
        results, settings = entry.build(sets, entry.options())
        rec = {"metric": name, "name": record_name(name, num_samples, net_key), **results, **common}
        rec.update(settings=settings, result_keys=[k for k in RESULT_KEYS if k in results])
        if name == "fid" and ref_note:
            rec["reference_set"] = ref_note
        rec.update(seconds=round(time.perf_counter() - start, 2), time=time.strftime("%Y-%m-%dT%H:%M:%S"))
        writer.write(rec)
        yield format_record(rec)
    if net_key == "digits" and "fid" in names:
        rec = {"metric": "digits_classes", "name": f"digits_classes{num_samples}", **_digits_classes(sets.fake_probs)}
        if run.num_classes:  # a conditional run: how often the classifier sees the class that was asked for
            asked = run.labels(num_samples).numpy()
            rec["requested_class_share"] = float((sets.fake_probs.argmax(axis=1) == asked).mean())
        rec.update(common, time=time.strftime("%Y-%m-%dT%H:%M:%S"))
        writer.write(rec)
        yield format_record(rec)


def _stacked_modes(run: Run, names: list[str], num_samples: int | None, seed: int) -> Iterator[str]:
    """Modes captured and KL to uniform over the 1,000 digit triples (VEEGAN's Stacked MNIST protocol)."""
    if names != ["modes"]:
        raise ConfigError(f"--metrics {','.join(names)}: stacked-digits runs are measured with --metrics modes")
    num_samples = num_samples or DEFAULT_SAMPLES
    yield f"evaluating {run.checkpoint} (kimg {run.kimg:.1f}) with {num_samples} samples, modes of stacked digits"
    net = load_digits_net(run.device)
    stats = mode_stats(triple_modes(net, run.sample(num_samples, seed=seed)))
    rec = {"metric": "modes", "name": record_name("modes", num_samples, "stacked"), **stats, "num_gen": num_samples}
    rec.update(feature_net=net.name, weights_sha256=net.weight_sha256, seed=seed, checkpoint=str(run.checkpoint))
    rec.update(snapshot=run.checkpoint.name, kimg=run.kimg, time=time.strftime("%Y-%m-%dT%H:%M:%S"))
    JsonlWriter(Path(run.path) / "metrics.jsonl").write(rec)
    yield format_record(rec)


def format_record(rec: dict) -> str:
    """One printable line for a metric record."""
    metric = rec["metric"]
    if metric == "modes":
        return f"{rec['name']}: {rec['modes']} of 1000 modes, KL to uniform {rec['kl']:.3f} ({rec['num_gen']} samples)"
    where = f"[{rec['feature_net']}, {rec['num_gen']} generated vs {rec['num_real']} real]"
    if metric == "fid":
        ref = ""
        if "reference" in rec:
            ref = f"  (reference {rec['reference']:.3f}: {rec['reference_set']} vs test; ratio {rec['ratio']:.2f}x)"
        return f"{rec['name']}: fid {rec['value']:.3f}{ref}  {where}"
    if metric in ("kid", "is"):
        extra = ", ".join(f"{k}={v}" for k, v in rec["settings"].items())
        return f"{rec['name']}: {metric} {rec['value']:.5g} +- {rec['std']:.2g} ({extra})  {where}"
    if metric == "pr":
        return f"{rec['name']}: precision {rec['precision']:.3f}  recall {rec['recall']:.3f} (k={rec['settings']['k']})"
    if metric == "dc":
        return f"{rec['name']}: density {rec['density']:.3f}  coverage {rec['coverage']:.3f} (k={rec['settings']['k']})"
    if metric == "digits_classes":
        shares = " ".join(f"{k}:{s:.2f}" for k, s in enumerate(rec["class_share"]))
        asked = rec.get("requested_class_share")
        return (
            f"confident samples (p >= {rec['confidence_threshold']}) {rec['confident_share']:.1%}; "
            f"class shares {shares} (min {rec['min_class_share']:.1%})"
            + (f"; classified as the requested class: {asked:.1%}" if asked is not None else "")
        )
    return json.dumps(rec)
