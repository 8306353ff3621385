"""Minibatch standard deviation (Karras et al. 2018, "Progressive growing of GANs", section 3).

Appends to every sample feature maps holding the standard deviation of the features across a
small group of samples, so D can tell a batch of near-identical fakes from a varied real batch.
"""

import torch
from torch import nn


class MinibatchStd(nn.Module):
    """x [N, C, H, W] -> [N, C + num_channels, H, W].

    Args:
        group_size: samples per group (the batch size must be divisible by min(group_size, N)).
        num_channels: statistics channels appended; the C features are split into this many
            chunks, each giving one averaged standard deviation (StyleGAN2 uses 1).
    """

    def __init__(self, group_size: int = 4, num_channels: int = 1) -> None:
        super().__init__()
        if group_size < 1 or num_channels < 1:
            raise ValueError(f"group_size={group_size} and num_channels={num_channels} must be >= 1")
        self.group_size, self.num_channels = group_size, num_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = min(self.group_size, n)
        if n % g:
            raise ValueError(f"batch of {n} is not divisible by the minibatch-std group size {g}")
        f = self.num_channels
        if c % f:
            raise ValueError(f"{c} channels cannot be split into {f} minibatch-std chunks")
        y = x.reshape(g, n // g, f, c // f, h, w)  # [G, M, F, C/F, H, W]: sample i is in group i % M
        y = y.float().var(dim=0, unbiased=False).add(1e-8).sqrt()  # [M, F, C/F, H, W], std over each group
        y = y.mean(dim=(2, 3, 4))  # [M, F]: one averaged std per chunk
        y = y.to(x.dtype).reshape(n // g, f, 1, 1).repeat(g, 1, h, w)  # [N, F, H, W]
        return torch.cat([x, y], dim=1)
