"""Load `.pt` files without ever running code from them, and say clearly why a file was refused.

Every torch file gankit reads goes through `load_torch_file`, which uses `torch.load(weights_only=True)`:
the unpickler builds only tensors, numbers, strings and containers and refuses any other global
before calling it, so a file crafted to run code is rejected with its payload unexecuted.
tests/test_safe_load.py scans gankit's source so that no other loader of user files creeps in.
"""

import pickle
from pathlib import Path

import torch

from gankit.errors import CheckpointError

CONVERT_HINT = (
    "if you trust the file's author, convert it once to plain tensors and numbers as shown in "
    "docs/reliability.md ('Converting a trusted file'), then load the converted file"
)


def load_torch_file(path: str | Path) -> object:
    """`torch.load(path, weights_only=True)` onto the CPU, with every failure as a CheckpointError.

    Raises:
        CheckpointError: the file is missing, empty, truncated, not a torch file, or holds objects
            whose loading could run code (then the message says how to convert a trusted file).
    """
    # Check the file itself before unpickling anything.
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"'{path}' does not exist or is not a file")
    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(f"'{path}' is empty (0 bytes); it was cut short by a crash or a full disk")

    # Unpickle with the weights-only unpickler; sort its failures into refused, not torch and damaged.
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        text = str(exc)
        if "weights_only" in text or "Unsupported global" in text or "Unsupported operand" in text:
            first = next((line.strip() for line in text.splitlines() if "Unsupported" in line), text.splitlines()[0])
            raise CheckpointError(
                f"refusing to load '{path}': it holds Python objects whose loading could run code ({first}); "
                f"{CONVERT_HINT}"
            ) from None
        raise CheckpointError(f"'{path}' is not a readable torch file ({text.splitlines()[0]})") from None
    except Exception as exc:  # damaged zips and pickles raise many types (RuntimeError, EOFError, KeyError, ...)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(
            f"'{path}' ({size} bytes) is truncated, corrupt or not a torch file ({type(exc).__name__}: {reason})"
        ) from None
