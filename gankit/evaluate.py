"""`gankit eval`: metrics between a generated and a real set, printed as a table and appended to metrics.jsonl.

Either side is a source string (`gankit.metrics.sources`): a run folder (N samples of its EMA generator), an image
folder, a zip, a built-in split, or a statistics file. `evaluate_run` is the `--run` shorthand: the run against its
dataset's test split (the digits) or its training images (folders). Features are extracted once per set and shared
by all requested metrics (`gankit.metrics.catalog`); the real set's FID statistics are cached
(`gankit.metrics.stats_file`). Every record carries its provenance (`gankit.metrics.provenance`): feature network
and weight hash, preprocessing, both sample counts and sets, the settings, seed, gankit version and snapshot, and a
name carrying the sample count (fid1k_digits).

With `builtin:digits-test` as the real set and a run as the generated one, the FID is reported next to its
reference, the FID of an equally large subset of the train split against the test split with the same network, so
that the bias of a finite sample count cancels in the ratio: a generator as good as the data scores near 1.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

import gankit
from gankit.config import Config
from gankit.data.dataset import to_uint8
from gankit.errors import ConfigError
from gankit.metrics import stats_file
from gankit.metrics.catalog import GENERATOR_METRICS, NEEDS_PROBS, FeatureSets
from gankit.metrics.digits_net import load_digits_net
from gankit.metrics.equivariance_metric import EQUIVARIANCE_METRICS
from gankit.metrics.feature_nets import extract, has_classifier
from gankit.metrics.fid import feature_stats
from gankit.metrics.provenance import feature_fields, record_name
from gankit.metrics.report import format_record, format_table
from gankit.metrics.sharding import gather_rows, shard_rows
from gankit.metrics.sources import Source, load_data_set, parse_source
from gankit.metrics.stacked_modes import DEFAULT_SAMPLES, mode_stats, triple_modes
from gankit.metrics.stats_file import cache_path, check_same_features, load_stats, read_cached, save_stats
from gankit.registry import FEATURE_NETS, METRICS
from gankit.run import Run
from gankit.train.stats import JsonlWriter

CONFIDENT = 0.9  # softmax probability above which a sample counts as a recognisable digit
REFERENCE_SEED = 0
RESULT_KEYS = ("value", "std", "reference", "ratio", "precision", "recall", "density", "coverage")
LPIPS_MIN_SIZE = {"alex": 32, "vgg": 16}  # smallest images whose feature maps survive every pooling stage
STATS_ONLY = {"fid"}  # metrics a statistics file (mean and covariance, no features) can serve


@dataclass
class _Side:
    """One evaluated set: its source, features or statistics, and how records describe it."""

    source: Source
    run: Run | None = None
    feats: np.ndarray | None = None
    probs: np.ndarray | None = None
    stats: tuple[np.ndarray, np.ndarray] | None = None
    meta: dict[str, Any] | None = None
    description: str = ""
    count: int | None = None


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


def _check_sources(names: list[str], fake: _Side, real: _Side) -> None:
    """Refuse metrics that the sources cannot serve, naming the metric, the source and what to pass instead."""
    for side, flag in ((fake, "--fake"), (real, "--real")):
        if side.source.kind == "stats" and set(names) - STATS_ONLY:
            bad = ",".join(sorted(set(names) - STATS_ONLY))
            raise ConfigError(
                f"--metrics {bad} needs features of both sets, but {flag} {side.source.text} is a statistics file "
                "(mean and covariance only); use --metrics fid with it, or pass the images instead"
            )
        if side.run is not None and side.run.cfg.data.source in ("ring8", "grid25"):
            raise ConfigError(
                f"{flag} {side.source.text} is a run on 2-D points (data.source='{side.run.cfg.data.source}'); "
                "image metrics do not apply to it, use the toy-mode statistics in its log instead"
            )


DIGITS_FEATURES_WARNING = (
    "measuring your own images with the digits feature network (trained on handwritten digits): its numbers mean "
    "little for other images; use --features inception (config: metrics.feature_net=inception) for photos"
)


def _not_digits(side: _Side) -> bool:
    """Whether a set may hold images other than digits: a folder or zip, or a run trained on one."""
    if side.run is not None:
        return side.run.cfg.data.source == "folder"
    return side.source.kind in ("folder", "zip")


def _net_key(features: str | None, fake: _Side, real: _Side) -> str:
    """--features, else a statistics file's network, else a run's metrics.feature_net, else digits or inception."""
    if features:
        return features
    for side in (fake, real):
        if side.meta is not None and side.meta.get("feature_net_key"):
            return side.meta["feature_net_key"]
    for side in (fake, real):
        if side.run is not None:
            return side.run.cfg.metrics.feature_net
    return "digits" if "builtin" in (fake.source.kind, real.source.kind) else "inception"


def _decode_size(net: torch.nn.Module, fake: _Side, real: _Side, kind: str) -> tuple[int, int]:
    """Resolution and channels that data sets are decoded at: a run's, else the built-in 32, else the network's."""
    for side in (fake, real):
        if side.run is not None:
            return side.run.cfg.data.resolution, side.run.cfg.data.channels
    if kind == "builtin":
        return 32, 1
    return net.resolution, net.channels


def _extract_shared(net, images_of: Callable[[slice], torch.Tensor], n: int, with_probs: bool, ctx, desc: str):
    """Features (and probabilities) of n images; under torchrun each rank extracts its share and all gather them."""
    rank, world = ctx["rank"], ctx["world_size"]
    rows = shard_rows(n, rank, world)
    progress = ctx["progress"] and rank == 0
    feats, probs = extract(net, images_of(rows), ctx["batch"], with_probs, progress=progress, desc=desc)
    return gather_rows(feats, world), gather_rows(probs, world)


def _fill_side(side: _Side, flag: str, ctx: dict[str, Any]) -> Iterator[str]:
    """Give `side` features (or statistics), probabilities when asked, a description and a count."""
    net, with_probs, batch, progress = ctx["net"], ctx["with_probs"] and flag == "--fake", ctx["batch"], ctx["progress"]
    main = ctx["rank"] == 0
    if side.source.kind == "stats":
        side.stats = side.stats or load_stats(side.source.path)[:2]
        side.count = side.meta.get("count") if side.meta else None
        side.description = f"statistics {side.source.path.name}" + (f" of {side.meta['dataset']}" if side.meta else "")
        return
    if side.run is not None:
        n = ctx["num_samples"] or side.run.cfg.metrics.num_samples
        run, seed = side.run, ctx["seed"]
        images_of = lambda rows: to_uint8(run.sample(n, seed=seed, batch_size=batch, rows=rows))  # noqa: E731
        side.feats, side.probs = _extract_shared(net, images_of, n, with_probs, ctx, f"{flag} features")
        side.description = f"{side.source.text} ({side.run.checkpoint.name}, kimg {side.run.kimg:.1f}), {n} samples"
        side.count = n
        return
    resolution, channels = _decode_size(net, ctx["fake"], ctx["real"], side.source.kind)
    data = load_data_set(side.source, resolution, channels, progress and main)
    side.description, side.count = data.description, len(data.images)
    meta = {**ctx["features"], "dataset": data.description, "dataset_sha256": data.content_sha256}
    meta.update(resolution=resolution, channels=channels, count=side.count)
    cached = cache_path(ctx["stats_dir"], meta) if ctx["stats_dir"] else None
    if cached is not None and not ctx["needs_feats"] and not with_probs:
        side.stats = read_cached(cached, meta)
        if side.stats is not None:
            yield f"{flag}: statistics from the cache, {cached}"
            return
    images_of = lambda rows: data.images[rows]  # noqa: E731
    side.feats, side.probs = _extract_shared(net, images_of, side.count, with_probs, ctx, f"{flag} features")
    if main and cached is not None and not cached.exists():
        save_stats(cached, *feature_stats(side.feats), meta)
        yield f"{flag}: statistics cached in {cached}"


def _check_stats_dims(fake: _Side, real: _Side, net) -> None:
    """Statistics must have the feature width of the network in use, or of each other when both are statistics."""
    dims = {flag: len(side.stats[0]) for side, flag in ((fake, "--fake"), (real, "--real")) if side.stats is not None}
    texts = {"--fake": fake.source.text, "--real": real.source.text}
    want = getattr(net, "feature_dim", None)
    for flag, dim in dims.items():
        if want is not None and dim != want:
            raise ConfigError(
                f"{flag} {texts[flag]} holds {dim}-dimensional statistics, but feature network '{net.name}' gives "
                f"{want} features; pass statistics made with that network, or choose its network with --features"
            )
    if len(set(dims.values())) > 1:
        raise ConfigError(
            f"--fake {texts['--fake']} ({dims['--fake']} features) and --real {texts['--real']} ({dims['--real']} "
            "features) come from different feature networks; they cannot be compared"
        )


def _check_stats_sides(fake: _Side, real: _Side, features: dict[str, Any] | None) -> Iterator[str]:
    """Check that statistics files share the feature space of the network (or of each other); warn on foreign ones."""
    for side, flag in ((fake, "--fake"), (real, "--real")):
        if side.source.kind != "stats":
            continue
        if side.meta is None:
            yield (
                f"warning: {flag} {side.source.text} carries no gankit metadata (another tool wrote it); its feature "
                "network and preprocessing cannot be checked, so the FID is only meaningful if they match"
            )
        elif features is not None:
            check_same_features(side.meta, features, side.source.text, f"feature network '{features['feature_net']}'")
    if fake.meta is not None and real.meta is not None:
        check_same_features(fake.meta, real.meta, fake.source.text, real.source.text)


def evaluate(
    fake: str,
    real: str,
    names: list[str] | None = None,
    num_samples: int | None = None,
    seed: int = 123,
    device: str | torch.device = "cpu",
    features: str | None = None,
    inception_weights: str | Path | None = None,
    batch_size: int = 64,
    log_path: str | Path | None = None,
    stats_dir: str | Path | None = "auto",
    progress: bool = True,
    metric_options: dict[str, dict[str, Any]] | None = None,
    lpips_weights: str | Path | None = None,
    rank: int = 0,
    world_size: int = 1,
    records_out: list[dict] | None = None,
) -> Iterator[str]:
    """Compute `names` between a generated and a real source, append the records, and yield printable lines.

    Under torchrun every rank calls this with its `rank`: each extracts features of its share of every set, all
    gather them, and rank 0 alone computes the metrics (and PPL), writes and yields lines.

    Args:
        fake: the generated set, a source string (see `gankit.metrics.sources.FORMS`).
        real: the real set, a source string.
        names: metric registry names (fid, kid, is, pr, dc, ppl); default: a run's metrics.names, else fid.
        num_samples: samples drawn from a run source, and PPL's path segments (default: its metrics.num_samples).
        seed: latent seed of the samples drawn from runs.
        device: where generators and the feature network run.
        features: feature network registry name (default: see `_net_key`).
        inception_weights: the Inception weight file (default: metrics.inception_weights, then ~/.cache/gankit).
        batch_size: images per generator and feature-network forward pass (results do not depend on it).
        log_path: the metrics.jsonl to append to; default: the fake (else real) run's, else none.
        stats_dir: the statistics cache folder; None turns the cache off; "auto" takes a run's eval.stats_dir, else
            ~/.cache/gankit/stats.
        progress: show progress bars on a terminal.
        metric_options: per metric name, settings for its options model (e.g. {"ppl": {"space": "z"}}).
        lpips_weights: the folder holding PPL's LPIPS weight files (default ~/.cache/gankit).
        rank: this process's rank under torchrun.
        world_size: the number of ranks.
        records_out: a list that receives the records (for callers that act on the values).

    Raises:
        ConfigError: for an unknown metric, network or source, or a metric the sources cannot serve.
        ProvenanceError: when statistics were made in another feature space than the one in use.
    """
    # Recognise both sources, open runs and statistics files, and validate the metrics before any work.
    sides = {}
    for flag, text in (("--fake", fake), ("--real", real)):
        source = parse_source(text, flag)
        side = _Side(source, run=Run.load(source.path, device=device) if source.kind == "run" else None)
        if source.kind == "stats":
            *stats, side.meta = load_stats(source.path)
            side.stats = tuple(stats)
        sides[flag] = side
    fake_side, real_side = sides["--fake"], sides["--real"]
    a_run = fake_side.run or real_side.run
    names = names or (list(a_run.cfg.metrics.names) if a_run else ["fid"])
    entries = {name: METRICS.get(name, key="--metrics") for name in names}
    options = {name: _options(entry, (metric_options or {}).get(name, {})) for name, entry in entries.items()}
    feature_names = [name for name in names if name not in GENERATOR_METRICS]
    if stats_dir == "auto":
        configured = a_run.cfg.eval.stats_dir if a_run else None
        stats_dir = Path(configured).expanduser() if configured else stats_file.default_cache_dir()
    _check_sources(feature_names, fake_side, real_side)
    if "ppl" in names:
        _check_ppl_source(fake_side)
    for name in (n for n in names if n in EQUIVARIANCE_METRICS):
        _check_equivariance_source(name, fake_side)
    for side in (fake_side, real_side):
        if side.run is not None and side.run.growth_note and rank == 0:
            yield f"note: {side.source.text}: {side.run.growth_note}"

    # Measure: feature metrics on both sets, then PPL on the generator.
    ctx = {"num_samples": num_samples, "seed": seed, "batch": batch_size, "progress": progress}
    ctx.update(stats_dir=stats_dir, fake=fake_side, real=real_side, device=device, rank=rank, world_size=world_size)
    records = []
    if feature_names:
        weights = inception_weights or (a_run.cfg.metrics.inception_weights if a_run else None)
        ctx.update(net_key=_net_key(features, fake_side, real_side), inception_weights=weights)
        records += yield from _feature_records({n: entries[n] for n in feature_names}, options, ctx)
    if rank != 0:
        return  # the other ranks only help to extract features
    if "ppl" in names:
        records.append(_ppl_record(fake_side, entries["ppl"], options["ppl"], ctx, lpips_weights))
    for name in (n for n in names if n in EQUIVARIANCE_METRICS):
        records.append(_equivariance_record(name, fake_side, entries[name], options[name], ctx))

    # Append the records and print the table.
    if records_out is not None:
        records_out.extend(records)
    log_file = Path(log_path) if log_path else (Path(a_run.path) / "metrics.jsonl" if a_run else None)
    for rec in records:
        if log_file:
            JsonlWriter(log_file).write(rec)
        if "warning" in rec:
            yield f"warning: {rec['warning']}"
    yield from format_table(records)
    yield f"records appended to {log_file}" if log_file else "records not written (no run involved; pass --log FILE)"


def _options(entry, given: dict[str, Any]):
    """A metric's options model from the given settings; a bad setting is a ConfigError naming it."""
    try:
        return entry.options(**given)
    except ValueError as exc:  # pydantic's ValidationError
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"settings of metric '{entry.name}' {given}: {details}") from None


def _check_ppl_source(fake: _Side) -> None:
    """PPL needs a run whose generator has a mapping network."""
    G = fake.run.G if fake.run is not None else None
    if G is None or not hasattr(G, "mapping") or not hasattr(G, "synthesis"):
        what = f"a run of generator '{fake.run.cfg.generator.name}'" if fake.run else f"a {fake.source.kind} source"
        raise ConfigError(
            f"--metrics ppl needs a generator with a mapping network (StyleGAN, StyleGAN2: gankit train --preset "
            f"stylegan2-digits), but --fake {fake.source.text} is {what}; drop ppl or pass such a run"
        )
    if fake.run.label_source is not None:
        raise NotImplementedError("--metrics ppl of a conditional generator: the path would also need labels")


def _check_equivariance_source(name: str, fake: _Side) -> None:
    """EQ-T needs a StyleGAN2 or StyleGAN3 run; EQ-R a StyleGAN3 run (a Fourier input that can rotate)."""
    generator = fake.run.cfg.generator.name if fake.run is not None else None
    allowed = ("stylegan3",) if name == "eqr" else ("stylegan2", "stylegan3")
    if generator not in allowed:
        what = f"a run of generator '{generator}'" if fake.run else f"a {fake.source.kind} source"
        raise ConfigError(
            f"--metrics {name} needs a run of generator {' or '.join(allowed)} (an input it can "
            f"{'rotate' if name == 'eqr' else 'translate'}), but --fake {fake.source.text} is {what}; drop {name}"
        )


def _equivariance_record(name: str, fake: _Side, entry, options, ctx: dict[str, Any]) -> dict:
    """EQ-T / EQ-T_frac / EQ-R of the fake run's EMA generator in dB, as a metric record."""
    run = fake.run
    n = ctx["num_samples"] or run.cfg.metrics.num_samples
    options = options.model_copy(update={"batch_size": ctx["batch"]})  # --batch; a batch shares one transform
    start = time.perf_counter()
    results, settings = _compute(name, entry.build, run.G, n, ctx["seed"], options)
    fake.description = f"{fake.source.text} ({run.checkpoint.name}, kimg {run.kimg:.1f}), {n} latents"
    fake.count = n
    fields = {"feature_net": "none (PSNR of images)", "feature_net_key": "psnr", "feature_net_sha256": None}
    fields["preprocessing"] = "G output in [-1, 1], noise off; PSNR with peak 2 over the border-masked pixels"
    rec = {"metric": name, "name": record_name(name, n, "psnr"), **results, **_common(fake, None, fields, ctx["seed"])}
    rec.update(settings=settings, result_keys=["value"], seconds=round(time.perf_counter() - start, 2))
    rec["time"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    return rec


def _common(fake: _Side, real: _Side | None, fields: dict[str, Any], seed: int) -> dict[str, Any]:
    """Provenance fields shared by the records of one evaluation."""
    run = fake.run
    common = {**fields, "num_gen": fake.count, "num_real": real.count if real else None}
    common.update(real_set=real.description if real else None, fake_set=fake.description)
    common.update(seed=seed if run is not None else None, checkpoint=str(run.checkpoint) if run else None)
    common.update(snapshot=run.checkpoint.name if run else None, kimg=run.kimg if run else None)
    common["gankit_version"] = gankit.__version__
    return common


def _feature_records(entries: dict, options: dict, ctx: dict[str, Any]):
    """Extract features once per set, compute every feature metric; yields printable lines, returns the records."""
    # Build the feature network, unless both sides are statistics.
    fake, real, net_key, names = ctx["fake"], ctx["real"], ctx["net_key"], list(entries)
    net, fields = None, None
    if not (fake.source.kind == real.source.kind == "stats"):
        build = FEATURE_NETS.get(net_key, key="--features").build
        net = build(ctx["device"], ctx["inception_weights"] if net_key == "inception" else None)
        fields = feature_fields(net, net_key)
        if NEEDS_PROBS & set(names) and not has_classifier(net):
            raise ConfigError(f"--metrics is needs class probabilities, but feature network '{net_key}' has none")
    if net_key == "digits" and any(_not_digits(side) for side in (fake, real)):
        yield f"warning: {DIGITS_FEATURES_WARNING}"
    yield from _check_stats_sides(fake, real, fields)
    _check_stats_dims(fake, real, net)
    if fields is None:
        known = fake.meta or real.meta or {}
        fields = {k: known.get(k, "unknown") for k in ("feature_net", "feature_net_key", "feature_net_sha256")}
        fields["preprocessing"] = known.get("preprocessing", "unknown")

    # Extract features once per set for all metrics (statistics from the cache when FID alone is asked).
    start = time.perf_counter()
    digits_fid = net_key == "digits" and "fid" in names and fake.run is not None
    ctx = {**ctx, "net": net, "features": fields, "needs_feats": bool(set(names) - STATS_ONLY)}
    ctx["with_probs"] = bool(NEEDS_PROBS & set(names)) or digits_fid
    yield from _fill_side(fake, "--fake", ctx)
    yield from _fill_side(real, "--real", ctx)
    reference, ref_note = _reference(fake, real, net, names, ctx)
    if ctx["rank"] != 0:
        return []
    sets = FeatureSets(real.feats, fake.feats, fake.probs, reference, real_stats=real.stats, fake_stats=fake.stats)
    common = {**_common(fake, real, fields, ctx["seed"]), "extract_seconds": round(time.perf_counter() - start, 2)}
    common["ranks"] = ctx["world_size"]  # processes that shared the feature extraction

    # Compute each metric.
    records = []
    for name, entry in entries.items():
        start = time.perf_counter()
        results, settings = _compute(name, entry.build, sets, options[name])
        rec = {"metric": name, "name": record_name(name, fake.count or 0, net_key), **results, **common}
        rec.update(settings=settings, result_keys=[k for k in RESULT_KEYS if k in results])
        if name == "fid" and ref_note:
            rec["reference_set"] = ref_note
        rec.update(seconds=round(time.perf_counter() - start, 2), time=time.strftime("%Y-%m-%dT%H:%M:%S"))
        records.append(rec)
    if digits_fid:
        rec = {"metric": "digits_classes", "name": f"digits_classes{fake.count}", **_digits_classes(fake.probs)}
        if fake.run.num_classes:  # a conditional run: how often the classifier sees the class that was asked for
            asked = fake.run.labels(fake.count).numpy()
            rec["requested_class_share"] = float((fake.probs.argmax(axis=1) == asked).mean())
        rec.update(common, time=time.strftime("%Y-%m-%dT%H:%M:%S"))
        records.append(rec)
    return records


def _compute(name: str, build: Callable, *args: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run a metric; its guard rails' ValueErrors become ConfigErrors naming the metric (one line in the CLI)."""
    try:
        return build(*args)
    except ValueError as exc:
        raise ConfigError(f"--metrics {name}: {exc}") from None


def _ppl_record(fake: _Side, entry, options, ctx: dict[str, Any], lpips_weights: str | Path | None) -> dict:
    """PPL of the fake run's generator with LPIPS from local weight files, as a metric record."""
    from gankit.metrics.lpips import VARIANTS, load_lpips

    run, variant = fake.run, options.lpips
    folder = Path(lpips_weights).expanduser() if lpips_weights else None
    backbone = folder / VARIANTS[variant]["backbone"] if folder else None
    heads = folder / f"lpips_v0.1_{variant}.pth" if folder else None
    smallest = LPIPS_MIN_SIZE[variant]
    if run.cfg.data.resolution < smallest:
        raise ConfigError(
            f"PPL with LPIPS-{variant} needs images of at least {smallest} px (its pooling stages), but this run makes "
            f"{run.cfg.data.resolution} px images; "
            + ("use --lpips vgg" if variant == "alex" else "train at 16 px or more")
        )
    distance = load_lpips(variant, run.device, backbone_path=backbone, heads_path=heads)
    n = ctx["num_samples"] or run.cfg.metrics.num_samples
    start = time.perf_counter()
    results, settings = _compute("ppl", entry.build, run.G, distance, n, ctx["seed"], options)
    fake.description = f"{fake.source.text} ({run.checkpoint.name}, kimg {run.kimg:.1f}), {n} path segments"
    fake.count = n
    fields = {
        "feature_net": f"lpips-v0.1-{variant}",
        "feature_net_key": f"lpips-{variant}",
        "feature_net_sha256": f"{distance.weight_sha256['backbone']}+{distance.weight_sha256['heads']}",
        "preprocessing": "G output in [-1, 1], grey repeated to RGB, box-downsampled to 256 px when larger; "
        "LPIPS v0.1 shift and scale",
    }
    tag = f"{settings['space']}{settings['sampling']}"
    rec = {"metric": "ppl", "name": record_name("ppl", n, tag), **results, **_common(fake, None, fields, ctx["seed"])}
    rec.update(settings=settings, result_keys=["value"], seconds=round(time.perf_counter() - start, 2))
    rec["time"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    return rec


def _reference(fake: _Side, real: _Side, net, names: list[str], ctx: dict[str, Any]):
    """Features of a digits train-split subset as large as the generated set (FID's reference), or None."""
    if "fid" not in names or real.source.text != "builtin:digits-test" or fake.run is None:
        return None, None
    from gankit.data.digits import load_digits_dataset

    cfg = fake.run.cfg
    train = load_digits_dataset("train", cfg.data.resolution, cfg.data.channels)
    n_ref = min(fake.count, len(train))
    ref_idx = torch.randperm(len(train), generator=torch.Generator().manual_seed(REFERENCE_SEED))[:n_ref]
    images = train.images[ref_idx]
    reference, _ = _extract_shared(net, lambda rows: images[rows], n_ref, False, {**ctx, "progress": False}, "")
    return reference, f"digits train split, {n_ref} images (seed {REFERENCE_SEED})"


def real_source_of(run: Run) -> str:
    """The real set `--run` compares a run with (see `real_source_for`)."""
    return real_source_for(run.cfg, run.path)


def real_source_for(cfg: Config, run_path: str | Path) -> str:
    """The real set a run of `cfg` is compared with: the digits test split, or its training folder or zip.

    Raises:
        ConfigError: for data without a real image set to compare with (2-D points).
    """
    data = cfg.data
    if data.source == "digits":
        return "builtin:digits-test"
    if data.source == "folder" and data.path:
        return data.path
    raise ConfigError(
        f"gankit eval --run: this run uses '{data.source}', which has no real image set to compare with; "
        f"pass --fake {run_path} --real SRC with images, or read the toy-mode statistics in its log"
    )


def evaluate_run(
    run_path: str | Path,
    names: list[str] | None,
    num_samples: int | None = None,
    seed: int = 123,
    device: str | torch.device = "cpu",
    **options: Any,
) -> Iterator[str]:
    """`gankit eval --run`: the run's latest checkpoint against its dataset's real set (see `real_source_of`).

    Stacked-digits runs are measured by their mode coverage (`--metrics modes`). Other arguments as `evaluate`.
    """
    run = Run.load(run_path, device=device)
    if run.cfg.data.source == "stacked-digits":
        if options.get("rank", 0) != 0:
            return  # mode counting is not sharded: rank 0 does it alone
        yield from _stacked_modes(run, names or ["modes"], num_samples, seed)
        return
    real = real_source_of(run)
    if run.cfg.data.source == "folder":
        yield f"note: {run.cfg.data.path} is the run's training set, its only real set (no test split)"
    yield f"evaluating {run.checkpoint} (kimg {run.kimg:.1f}) against {real}"
    yield from evaluate(str(run_path), real, names, num_samples, seed, device, **options)


def _stacked_modes(run: Run, names: list[str], num_samples: int | None, seed: int) -> Iterator[str]:
    """Modes captured and KL to uniform over the 1,000 digit triples (VEEGAN's Stacked MNIST protocol)."""
    if names != ["modes"]:
        raise ConfigError(f"--metrics {','.join(names)}: stacked-digits runs are measured with --metrics modes")
    num_samples = num_samples or DEFAULT_SAMPLES
    yield f"evaluating {run.checkpoint} (kimg {run.kimg:.1f}) with {num_samples} samples, modes of stacked digits"
    net = load_digits_net(run.device)
    stats = mode_stats(triple_modes(net, to_uint8(run.sample(num_samples, seed=seed))))
    rec = {"metric": "modes", "name": record_name("modes", num_samples, "stacked"), **stats, "num_gen": num_samples}
    rec.update(feature_net=net.name, weights_sha256=net.weight_sha256, seed=seed, checkpoint=str(run.checkpoint))
    rec.update(snapshot=run.checkpoint.name, kimg=run.kimg, time=time.strftime("%Y-%m-%dT%H:%M:%S"))
    JsonlWriter(Path(run.path) / "metrics.jsonl").write(rec)
    yield format_record(rec)
