"""Property-based fuzzing: any config, image file or checkpoint either loads or raises gankit's own error.

What it protects: no input reaches the user as an unhandled exception (KeyError, pydantic's
ValidationError, SafetensorError, UnpicklingError, ...) instead of a message naming the file or key.
"""

import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from gankit.config import Config, load_config
from gankit.data.image_folder import load_image_folder
from gankit.data.labels import Labels, parse_labels_file
from gankit.digest import sha256_file
from gankit.errors import CheckpointError, ConfigError, DataError, GankitError
from gankit.train import checkpoint as ckpt
from gankit.train.loop import Trainer, prepare_run_dir
from tests.conftest import TINY

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Config: real section and key names mixed with noise, and values of every YAML type.
KEYS = st.sampled_from(
    ["seed", "data", "generator", "discriminator", "loss", "train", "augment", "metrics", "name", "resolution",
     "channels", "source", "path", "width", "z_dim", "batch_size", "total_kimg", "lr_g", "betas_g", "diffaugment",
     "r1_gamma", "dcgan", "hinge", "max_rollbacks", "max_nonfinite_steps"]
) | st.text(max_size=8)  # fmt: skip
SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True) | st.text(max_size=12)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4))


@FUZZ
@given(raw=st.dictionaries(KEYS, VALUES, max_size=6), overrides=st.lists(st.text(max_size=30), max_size=3))
def test_config_loader_accepts_or_raises_config_error(tmp_path, raw, overrides):
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    try:
        cfg = load_config(str(path), overrides)
    except ConfigError as exc:
        assert str(exc)
        return
    assert isinstance(cfg, Config)


@FUZZ
@given(text=st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_config_file_of_any_text_accepts_or_raises_config_error(tmp_path, text):
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load_config(str(path))
    except ConfigError as exc:
        assert str(exc)


def _mutated(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    out = bytearray(data)
    for pos, value in edits:
        if out:
            out[pos % len(out)] = value
    return bytes(out[:cut] if cut is not None else out)


EDITS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6)


@FUZZ
@given(
    base=st.sampled_from(["png", "jpg", "random"]),
    edits=EDITS,
    cut=st.none() | st.integers(0, 2000),
    noise=st.binary(max_size=300),
    suffix=st.sampled_from([".png", ".jpg", ".jpeg", ".webp"]),
    as_zip=st.booleans(),
)
def test_dataset_opener_loads_or_raises_data_error(tmp_path, base, edits, cut, noise, suffix, as_zip):
    folder = tmp_path / "images"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    img = Image.fromarray(np.random.default_rng(1).integers(0, 256, (12, 10, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    if base == "random":
        data = noise
    else:
        img.save(buffer, "PNG" if base == "png" else "JPEG")
        data = _mutated(buffer.getvalue(), edits, cut)
    if as_zip:
        source = folder / "data.zip"
        with zipfile.ZipFile(source, "w") as zf:
            zf.writestr(f"a{suffix}", data)
        source.write_bytes(_mutated(source.read_bytes(), edits[:1], None))  # damage the archive itself too
    else:
        source = folder
        (folder / f"a{suffix}").write_bytes(data)
    try:
        dataset = load_image_folder(source, resolution=8, channels=3, progress=False)
    except DataError as exc:
        assert str(exc)
        return
    assert dataset.images.shape == (1, 3, 8, 8) and dataset.images.dtype == torch.uint8


_CHECKPOINT: dict = {}


def _checkpoint(tmp_root: Path) -> tuple[Trainer, Path]:
    """One tiny trained checkpoint and a trainer to load copies of it into, made once per session."""
    if not _CHECKPOINT:
        cfg = load_config("dcgan-digits", [*TINY, "train.total_kimg=0.064"])
        run = tmp_root / "fuzz-run"
        trainer = Trainer(cfg, run, log=lambda *a: None)
        prepare_run_dir(run, cfg)
        trainer.train()
        _CHECKPOINT.update(trainer=trainer, folder=ckpt.resolve_checkpoint(run))
    return _CHECKPOINT["trainer"], _CHECKPOINT["folder"]


@FUZZ
@given(
    file_name=st.sampled_from(["G.safetensors", "D.safetensors", "G_ema.safetensors", "state.pt", "meta.json"]),
    edits=EDITS,
    cut=st.none() | st.integers(0, 5000),
    reseal=st.booleans(),
)
def test_checkpoint_loader_loads_or_raises_checkpoint_error(tmp_path_factory, file_name, edits, cut, reseal):
    """Damaged files, also with forged digests (reseal), never escape as anything but CheckpointError."""
    trainer, good = _checkpoint(tmp_path_factory.getbasetemp())
    folder = tmp_path_factory.mktemp("ckpt") / good.name
    shutil.copytree(good, folder)
    path = folder / file_name
    path.write_bytes(_mutated(path.read_bytes(), edits, cut))
    if reseal and file_name != "meta.json":
        meta = json.loads((folder / "meta.json").read_text())
        meta["sha256"][file_name] = sha256_file(path)
        del meta["meta_sha256"]
        (folder / "meta.json").write_text(json.dumps(meta))
    try:
        trainer.load(folder)
    except CheckpointError as exc:
        assert str(exc)
    except GankitError as exc:  # pragma: no cover - a different gankit error type would still be a clean message
        pytest.fail(f"expected CheckpointError, got {type(exc).__name__}: {exc}")


LABEL_NAMES = st.sampled_from(["a.png", "b.png", "sub/c.png", "ghost.png"]) | st.text(max_size=6)
LABEL_VALUES = SCALARS | st.lists(SCALARS, max_size=3)
LABEL_DOCS = (
    st.fixed_dictionaries({"labels": st.lists(st.lists(LABEL_NAMES | LABEL_VALUES, max_size=3), max_size=4)})
    | st.fixed_dictionaries({"labels": st.lists(st.tuples(LABEL_NAMES, LABEL_VALUES).map(list), max_size=4)})
    | VALUES
)


@FUZZ
@given(doc=LABEL_DOCS, garble=st.booleans())
def test_labels_file_parses_or_raises_data_error(doc, garble):
    """Any dataset.json gives aligned labels for every image, no labels, or a DataError naming the file."""
    text = json.dumps(doc, allow_nan=True)
    if garble:
        text = text[: len(text) // 2]
    names = ["a.png", "b.png", "sub/c.png"]
    try:
        out = parse_labels_file(text, "data/dataset.json", names)
    except DataError as exc:
        assert "data/dataset.json" in str(exc)
        return
    assert out is None or (isinstance(out, Labels) and len(out.values) == len(names))
