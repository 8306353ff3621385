"""Feature extraction sharded over torchrun ranks: each rank takes one contiguous share of the rows, then all ranks
gather the shares in rank order, so every rank holds the same full array, equal to a single-process run's."""

import numpy as np
import torch.distributed as dist

from gankit.errors import ConfigError


def shard_rows(n: int, rank: int, world_size: int) -> slice:
    """The rows [start, stop) of `n` that `rank` handles; shares differ in size by at most one.

    Raises:
        ConfigError: when there are fewer rows than ranks.
    """
    if n < world_size:
        raise ConfigError(f"{n} images cannot be shared over {world_size} ranks; use at least {world_size}")
    bounds = np.linspace(0, n, world_size + 1).round().astype(int)
    return slice(int(bounds[rank]), int(bounds[rank + 1]))


def gather_rows(part: np.ndarray | None, world_size: int) -> np.ndarray | None:
    """Concatenate every rank's share in rank order (a collective: every rank must call it).

    Args:
        part: this rank's rows [n_rank, ...], or None on every rank.
        world_size: the number of ranks; 1 returns `part` unchanged.
    """
    if world_size == 1 or part is None:
        return part
    parts: list[np.ndarray | None] = [None] * world_size
    dist.all_gather_object(parts, part)
    return np.concatenate(parts)
