"""Shape checks at module boundaries."""

from collections.abc import Sequence

import torch


def check_shape(name: str, tensor: torch.Tensor, expected: Sequence[int | None]) -> None:
    """Raise ValueError unless `tensor` has `expected` shape, where None matches any size.

    Args:
        name: the argument's name, used in the message.
        tensor: the tensor to check.
        expected: one entry per dimension; None means any size.
    """
    shape = tuple(tensor.shape)
    ok = len(shape) == len(expected) and all(e is None or e == s for s, e in zip(shape, expected, strict=True))
    if not ok:
        want = "[" + ", ".join("*" if e is None else str(e) for e in expected) + "]"
        raise ValueError(f"{name} has shape {list(shape)}, expected {want}")
