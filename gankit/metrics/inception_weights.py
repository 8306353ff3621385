"""Finding, checking and loading the standard FID Inception weights from a local file (never downloaded).

The file is `pt_inception-2015-12-05-6726825d.pth`, the 2015-12-05 TensorFlow Inception graph converted to a
PyTorch state dict and published with pytorch-fid (GitHub: mseitzer/pytorch-fid, release "fid_weights"; torch-fidelity
publishes the same bytes as `weights-inception-2015-12-05-6726825d.pth`). Its SHA-256 below is taken from several
independent public records that agree with each other and with the 8-digit hash prefix in the file name (the torch
hub naming rule); gankit cannot download the file, so the hash was not recomputed here from the file itself.
"""

from pathlib import Path

import torch

from gankit.digest import sha256_file
from gankit.errors import CheckpointError
from gankit.metrics.inception import FIDInceptionV3
from gankit.safe_load import load_torch_file

INCEPTION_FILE = "pt_inception-2015-12-05-6726825d.pth"
INCEPTION_SHA256 = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2"
INCEPTION_BYTES = 95_628_359


def cache_dir() -> Path:
    """gankit's folder for weight files the user provides: ~/.cache/gankit (read when called, not at import)."""
    return Path.home() / ".cache" / "gankit"


INCEPTION_HOW = "or pass its path (CLI: --inception-weights PATH; config: metrics.inception_weights)"


def resolve_weights(path: str | Path | None, file_name: str, name: str, identity: str, how: str) -> Path:
    """The weight file to use: `path` when given, else the cache folder's copy.

    Args:
        path: the user's file, or None for the cache folder's `file_name`.
        file_name: the standard file name.
        name: the network, for the message.
        identity: how to recognise the file (its sha256 and size), for the message.
        how: the other ways to pass the file, for the message.

    Raises:
        CheckpointError: naming the place looked at, the file, its identity and where to put it.
    """
    tried = Path(path).expanduser() if path is not None else cache_dir() / file_name
    if tried.is_dir():
        raise CheckpointError(f"the {name} weights: {tried} is a folder; pass the file {file_name} in it ({identity})")
    if not tried.is_file():
        place = f"put it at {tried}" if path is not None else f"put it at {cache_dir() / file_name}, {how}"
        raise CheckpointError(
            f"the {name} weights are missing: looked for {tried}. gankit never downloads weights; get the file "
            f"{file_name} ({identity}) and {place}"
        )
    return tried


def load_inception(
    device: str | torch.device = "cpu", path: str | Path | None = None, expected_sha256: str | None = INCEPTION_SHA256
) -> FIDInceptionV3:
    """Load the FID Inception-v3 from a local weight file.

    Args:
        device: where to put the network.
        path: the weight file; defaults to `~/.cache/gankit/pt_inception-2015-12-05-6726825d.pth`.
        expected_sha256: the hash the file must have; None accepts any file that fits the network (for example
            test weights). Its hash is always recorded in `weight_sha256`, so records made with other weights never
            compare with standard ones.

    Returns:
        The network in eval mode with `requires_grad_(False)` and `weight_sha256` set.

    Raises:
        CheckpointError: when the file is missing, its hash differs from `expected_sha256`, it is not a state dict,
            or its keys and shapes do not fit the network.
    """
    # Find the file and check its hash.
    identity = f"sha256 {INCEPTION_SHA256}, {INCEPTION_BYTES:,} bytes"
    file = resolve_weights(path, INCEPTION_FILE, "inception", identity, INCEPTION_HOW)
    digest = sha256_file(file)
    if expected_sha256 is not None and digest != expected_sha256:
        raise CheckpointError(
            f"{file} has sha256 {digest}, expected {expected_sha256} ({INCEPTION_FILE}); the file is damaged or "
            "another network's: replace it with the standard file"
        )

    # Load the state dict without running code, strictly.
    state = load_torch_file(file)
    if not isinstance(state, dict):
        raise CheckpointError(f"{file} holds a {type(state).__name__}, expected a state dict of tensors")
    net = FIDInceptionV3()
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{file} does not fit the FID Inception-v3 network: {exc}") from exc
    net.weight_sha256 = digest
    return net.to(device).eval().requires_grad_(False)
