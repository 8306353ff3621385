"""The condition a conditional network reads: an integer class [N] or a float label vector [N, L].

Class labels become one-hot vectors [N, K]; label vectors (multi-label attributes in {0, 1}, or
continuous attributes) pass as they are. Every input-side conditioning (concatenation to z or to the
image) and every projection is then a linear function of this dense vector, which for a one-hot
vector is the usual embedding lookup.
"""

import torch
import torch.nn.functional as F


def condition_dim(num_classes: int, label_dim: int) -> int:
    """Width of the dense condition: K for classes, L for label vectors, 0 unconditional."""
    if num_classes and label_dim:
        raise ValueError(f"a network takes classes (num_classes={num_classes}) or vectors (label_dim={label_dim})")
    return num_classes or label_dim


def check_condition(c: torch.Tensor | None, num_classes: int, label_dim: int) -> torch.Tensor:
    """`c` after checking it is integer classes [N] in range, or float vectors [N, label_dim]."""
    if num_classes:
        if c is None:
            raise ValueError(f"this network is class-conditional ({num_classes} classes) and needs labels c [N]")
        if c.dtype not in (torch.int64, torch.int32) or c.ndim != 1:
            raise ValueError(f"class labels must be integers [N], got dtype {c.dtype} and shape {list(c.shape)}")
        return c
    if c is None:
        raise ValueError(f"this network is conditioned on label vectors and needs c [N, {label_dim}]")
    if not c.is_floating_point() or c.ndim != 2 or c.shape[1] != label_dim:
        raise ValueError(
            f"label vectors must be floats [N, {label_dim}], got dtype {c.dtype} and shape {list(c.shape)}"
        )
    return c


def dense_condition(c: torch.Tensor | None, num_classes: int, label_dim: int, like: torch.Tensor) -> torch.Tensor:
    """[N, K] one-hot classes or [N, L] label vectors, in `like`'s dtype."""
    c = check_condition(c, num_classes, label_dim)
    return (F.one_hot(c.long(), num_classes) if num_classes else c).to(like.dtype)
