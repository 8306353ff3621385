"""Minibatch standard deviation (Karras et al. 2018, "Progressive growing of GANs", section 3)."""

import torch
from torch import nn


class MinibatchStd(nn.Module):
    """Append one feature: the standard deviation of each feature over a group of samples, averaged.

    The batch is split into groups of `group_size` samples (sample i in group i mod N/group_size);
    for each group the std of every feature (and location) over its members is averaged to one
    number, which every member receives as an extra channel.

    Args:
        group_size: samples per group; the whole batch when it is smaller. The batch size must be a
            multiple of it.
    """

    def __init__(self, group_size: int = 4) -> None:
        super().__init__()
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[N, F] -> [N, F + 1], or [N, C, H, W] -> [N, C + 1, H, W]."""
        n = x.shape[0]
        g = min(self.group_size, n)
        if n % g:
            raise ValueError(f"minibatch std: batch size {n} is not a multiple of the group size {g}")
        y = x.reshape(g, n // g, *x.shape[1:])  # [N, ...] -> [G, N/G, ...]
        std = (y.var(dim=0, unbiased=False) + 1e-8).sqrt()  # [N/G, ...]
        stat = std.flatten(1).mean(dim=1)  # [N/G, ...] -> [N/G]
        stat = stat.repeat(g).reshape(n, 1, *([1] * (x.ndim - 2)))  # [N/G] -> [N, 1, (1, 1)], member i gets i mod N/G
        return torch.cat([x, stat.expand(n, 1, *x.shape[2:])], dim=1)
