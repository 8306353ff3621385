"""Minibatch standard deviation layer (Karras et al. 2018, PGGAN section 3; StyleGAN2's grouped form)."""

import torch
from torch import nn


class MinibatchStd(nn.Module):
    """Append the standard deviation of features across groups of samples as extra channels.

    Samples are split into groups of `group_size` (strided, so group g holds samples g, g + N/G, ...);
    within a group the std of every feature is taken over the group's members, averaged over the
    channels of each of `num_channels` channel slices and over space, and broadcast back as
    `num_channels` constant maps. D then sees how varied the batch is, which counters mode collapse.

    Args:
        group_size: samples per group; a batch smaller than this forms a single group.
        num_channels: how many std maps to append (the channels are split into this many slices).
        eps: added to the variance before the square root.

    Shapes:
        [N, C, H, W] -> [N, C + num_channels, H, W], or [N, F] -> [N, F + num_channels] for
        fully connected discriminators; N must be a multiple of min(group_size, N).
    """

    def __init__(self, group_size: int = 4, num_channels: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        if group_size < 1 or num_channels < 1:
            raise ValueError(
                f"MinibatchStd needs group_size >= 1 and num_channels >= 1, got {group_size}, {num_channels}"
            )
        self.group_size, self.num_channels, self.eps = group_size, num_channels, eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 2:
            return self.forward(x[:, :, None, None])[:, :, 0, 0]  # [N, F] as [N, F, 1, 1]
        N, C, H, W = x.shape
        G = min(self.group_size, N)
        F = self.num_channels  # noqa: N806 (the paper's symbol for the number of std maps)
        if N % G:
            raise ValueError(
                f"minibatch std: batch {N} is not a multiple of the group size {G}; pick a batch divisible by it"
            )
        if C % F:
            raise ValueError(f"minibatch std: {C} channels do not split into num_channels={F} slices")

        # Std over each group's members, then mean over each channel slice and space.
        y = x.reshape(G, N // G, F, C // F, H, W)  # [G, M, F, c, H, W]; group members along dim 0
        y = y - y.mean(dim=0)
        y = (y.square().mean(dim=0) + self.eps).sqrt()  # [M, F, c, H, W]
        y = y.mean(dim=(2, 3, 4))  # [M, F]

        # Broadcast one map per slice to every member of the group.
        y = y.reshape(-1, F, 1, 1).repeat(G, 1, H, W)  # [N, F, H, W]
        return torch.cat([x, y.to(x.dtype)], dim=1)
