"""Atomic checkpoints that never run code when loaded.

A checkpoint is a folder `checkpoints/ckpt-<nimg>/` holding one safetensors file per network, the
rest of the training state in `state.pt` (tensors, numbers and strings only, loaded with
`torch.load(weights_only=True)`), and `meta.json`. It is written under a temporary name, every
file is fsynced, and the folder is renamed into place; `latest.json` is then replaced atomically.
A crash at any point leaves the previous checkpoint and pointer intact.
"""

import json
import os
import shutil
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from gankit import __version__
from gankit.errors import CheckpointError

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
    tmp.mkdir()

    # Write every file into the temporary folder and flush it to disk.
    for net_name, net in nets.items():
        tensors = {k: v.detach().contiguous().cpu() for k, v in net.state_dict().items()}
        save_file(tensors, str(tmp / f"{net_name}.safetensors"))
    torch.save(state, tmp / "state.pt")
    (tmp / "meta.json").write_text(json.dumps({**meta, "gankit_version": __version__, "nimg": nimg}))
    for f in tmp.iterdir():
        _fsync_file(f)
    _fsync_dir(tmp)

    # Move it into place, then the pointer, then prune old checkpoints.
    if final.exists():
        shutil.rmtree(final)
    os.rename(tmp, final)
    _fsync_dir(ckpt_root)
    write_json_atomic(ckpt_root / POINTER, {"checkpoint": name})
    for old in list_checkpoints(ckpt_root)[:-keep]:
        shutil.rmtree(old)
    return final


def list_checkpoints(ckpt_root: Path) -> list[Path]:
    """Complete checkpoint folders, oldest first."""
    return sorted(p for p in Path(ckpt_root).glob("ckpt-*") if p.is_dir())


def load_weights(ckpt: Path, net_name: str) -> dict[str, torch.Tensor]:
    path = Path(ckpt) / f"{net_name}.safetensors"
    if not path.is_file():
        raise CheckpointError(f"checkpoint '{ckpt}' has no '{path.name}'")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"'{path}' is not a readable safetensors file ({exc}); it is truncated or corrupt"
        ) from None


def load_state(ckpt: Path) -> dict:
    path = Path(ckpt) / "state.pt"
    if not path.is_file():
        raise CheckpointError(f"checkpoint '{ckpt}' has no 'state.pt'")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for bad files (UnpicklingError, RuntimeError, EOFError)
        raise CheckpointError(f"'{path}' cannot be loaded safely ({type(exc).__name__}: {exc})") from None


def load_meta(ckpt: Path) -> dict:
    path = Path(ckpt) / "meta.json"
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"'{path}' is missing or not valid JSON ({exc})") from None


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
