"""Self-attention over spatial positions (Zhang et al. 2019, "Self-attention generative adversarial
networks", section 3).

The block adds gamma * attention(x) to x with a learned scalar gate gamma that starts at 0, so a
freshly built block is the identity and the network learns how much non-local context to use.
"""

import torch
import torch.nn.functional as F
from torch import nn

from gankit.nn.spectral_norm import spectral_norm


class SelfAttention(nn.Module):
    """x [N, C, H, W] -> x + gamma * attention(x), same shape.

    Queries and keys have C/8 channels and values C/2, as in SAGAN; keys and values are taken
    from a 2x max-pooled map (a quarter of the positions), which SAGAN's released code does to
    cut the cost of the [HW, HW/4] attention matrix.

    Args:
        channels: C, the input and output channels (at least 8).
        use_spectral_norm: wrap the four 1x1 convolutions in spectral normalization.
    """

    def __init__(self, channels: int, use_spectral_norm: bool = True) -> None:
        super().__init__()
        if channels < 8:
            raise ValueError(f"self-attention needs at least 8 channels, got {channels}")
        self.query = nn.Conv2d(channels, channels // 8, 1, bias=False)
        self.key = nn.Conv2d(channels, channels // 8, 1, bias=False)
        self.value = nn.Conv2d(channels, channels // 2, 1, bias=False)
        self.out = nn.Conv2d(channels // 2, channels, 1, bias=False)
        if use_spectral_norm:
            for conv in (self.query, self.key, self.value, self.out):
                spectral_norm(conv)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        pool = (h % 2 == 0 and w % 2 == 0) and h * w >= 16  # keep every position on tiny maps
        kv_in = F.max_pool2d(x, 2) if pool else x
        q = self.query(x).flatten(2)  # [N, C/8, HW]
        k = self.key(kv_in).flatten(2)  # [N, C/8, HW'] with HW' = HW/4 when pooled
        v = self.value(kv_in).flatten(2)  # [N, C/2, HW']
        attn = torch.softmax(q.transpose(1, 2) @ k, dim=-1)  # [N, HW, HW'], rows sum to 1
        o = (v @ attn.transpose(1, 2)).view(n, c // 2, h, w)  # [N, C/2, HW] -> [N, C/2, H, W]
        return x + self.gamma * self.out(o)
