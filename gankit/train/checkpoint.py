"""Atomic checkpoints that never run code when loaded.

A checkpoint is a folder `checkpoints/ckpt-<nimg>/` holding one safetensors file per network, the
rest of the training state in `state.pt` (tensors, numbers and strings only, loaded with
`torch.load(weights_only=True)`), and `meta.json`. It is written under a temporary name, every
file is fsynced, and the folder is renamed into place; `latest.json` is then replaced atomically.
A crash at any point leaves the previous checkpoint and pointer intact. `meta.json` records the
sha256 of every other file, and loading checks it, so a flipped bit is reported, not trained on. A
write that fails (full or read-only disk) removes its temporary folder and raises OutputError.
"""

import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from safetensors.torch import save as safetensors_bytes

from gankit import __version__
from gankit.digest import sha256_file
from gankit.errors import CheckpointError
from gankit.safe_load import load_torch_file
from gankit.train.durable import output_error, write_durable

POINTER = "latest.json"
TMP_PREFIX = ".tmp-"


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, data: dict) -> None:
    """Write JSON to a temporary file, fsync it and rename it over `path`."""
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1))
    _fsync_file(tmp)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def clean_temporaries(ckpt_root: Path) -> list[Path]:
    """Remove leftovers of interrupted writes; returns what was removed."""
    removed = []
    for p in sorted(Path(ckpt_root).glob(f"{TMP_PREFIX}*")):
        shutil.rmtree(p) if p.is_dir() else p.unlink()
        removed.append(p)
    return removed


def save_checkpoint(
    ckpt_root: Path, nimg: int, nets: dict[str, torch.nn.Module], state: dict, meta: dict, keep: int = 2
) -> Path:
    """Write checkpoint `ckpt-<nimg>` atomically, point `latest.json` at it and keep the newest `keep`."""
    ckpt_root = Path(ckpt_root)
    ckpt_root.mkdir(parents=True, exist_ok=True)
    name = f"ckpt-{nimg:010d}"
    final = ckpt_root / name
    tmp = ckpt_root / f"{TMP_PREFIX}{name}.{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    try:
        tmp.mkdir()
        _write_folder(tmp, nets, state, {**meta, "gankit_version": __version__, "nimg": nimg})
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)  # a partial folder would only take more of a full disk
        previous = resolve_checkpoint(ckpt_root) if list_checkpoints(ckpt_root) else None
        kept = f"the previous checkpoint {previous} is intact" if previous else "no earlier checkpoint exists"
        raise output_error(exc, tmp, f"checkpoint {name} was not written, {kept}") from exc

    # Move it into place, then the pointer, then prune old checkpoints.
    try:
        if final.exists():
            shutil.rmtree(final)
        os.rename(tmp, final)
        _fsync_dir(ckpt_root)
        write_json_atomic(ckpt_root / POINTER, {"checkpoint": name})
    except OSError as exc:
        raise output_error(exc, ckpt_root / POINTER, f"{POINTER} still names the previous checkpoint") from exc
    for old in list_checkpoints(ckpt_root)[:-keep]:
        shutil.rmtree(old)
    return final


def _write_folder(folder: Path, nets: dict[str, torch.nn.Module], state: dict, meta: dict) -> None:
    """Write every file of a checkpoint into `folder`, fsynced, with their sha256 in meta.json."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    files = {"state.pt": buffer.getvalue()}
    for net_name, net in nets.items():
        tensors = {k: v.detach().contiguous().cpu() for k, v in net.state_dict().items()}
        files[f"{net_name}.safetensors"] = safetensors_bytes(tensors)
    for file_name, data in files.items():
        write_durable(folder / file_name, data)
    meta = {**meta, "sha256": {file_name: hashlib.sha256(data).hexdigest() for file_name, data in files.items()}}
    write_durable(folder / "meta.json", json.dumps({**meta, "meta_sha256": _meta_digest(meta)}).encode())
    _fsync_dir(folder)


def _meta_digest(meta: dict) -> str:
    """sha256 of meta.json's content without its own digest, in a canonical form."""
    return hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()


def verify_file(ckpt: Path, file_name: str) -> Path:
    """The path of `file_name` in `ckpt`, after checking it against the sha256 that meta.json records."""
    path = Path(ckpt) / file_name
    if not path.is_file():
        raise CheckpointError(f"checkpoint '{ckpt}' has no '{file_name}'")
    expected = load_meta(ckpt).get("sha256", {}).get(file_name)  # checkpoints before digests have none
    if expected is not None and sha256_file(path) != expected:
        raise CheckpointError(
            f"'{path}' is corrupt: its sha256 differs from the one recorded in meta.json when it was written "
            f"({path.stat().st_size} bytes now)"
        )
    return path


def list_checkpoints(ckpt_root: Path) -> list[Path]:
    """Complete checkpoint folders, oldest first."""
    return sorted(p for p in Path(ckpt_root).glob("ckpt-*") if p.is_dir())


def load_weights(ckpt: Path, net_name: str) -> dict[str, torch.Tensor]:
    path = verify_file(ckpt, f"{net_name}.safetensors")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"'{path}' is not a readable safetensors file ({exc}); it is truncated or corrupt"
        ) from None


def load_state(ckpt: Path) -> dict:
    """The training state of a checkpoint, loaded without running code (safe_load.py)."""
    return load_torch_file(verify_file(ckpt, "state.pt"))


def load_meta(ckpt: Path) -> dict:
    path = Path(ckpt) / "meta.json"
    try:
        meta = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"'{path}' is missing or not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("sha256", {}), dict):
        raise CheckpointError(f"'{path}' is not a gankit checkpoint's meta.json (expected an object with digests)")
    recorded = meta.pop("meta_sha256", None)  # checkpoints before digests have none
    if recorded is not None and recorded != _meta_digest(meta):
        raise CheckpointError(f"'{path}' is corrupt: its content differs from the sha256 recorded in it")
    return meta


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint folder from a checkpoint folder, a checkpoints folder or a run folder (newest good one)."""
    path = Path(path)
    if (path / "meta.json").is_file():
        return path
    root = path / "checkpoints" if (path / "checkpoints").is_dir() else path
    candidates = list_checkpoints(root)
    pointer = root / POINTER
    if pointer.is_file():
        try:
            named = root / json.loads(pointer.read_text())["checkpoint"]
            candidates = [c for c in candidates if c != named] + [named]
        except (json.JSONDecodeError, KeyError, TypeError):
            pass  # a damaged pointer: fall back to the newest complete folder
    for ckpt in reversed(candidates):
        if (ckpt / "meta.json").is_file():
            return ckpt
    raise CheckpointError(f"no checkpoint found under '{path}'; train first with `gankit train --out {path}`")
