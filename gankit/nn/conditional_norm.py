"""Batch normalization whose gains and biases depend on a condition (class label or vector).

Used by conditional generators (Miyato & Koyama 2018; BigGAN, Brock et al. 2019): the batch
statistics are shared, the affine transform after normalization is predicted per sample.
"""

import torch
from torch import nn


class ConditionalBatchNorm2d(nn.Module):
    """x [N, C, H, W], cond -> BN(x) * (1 + gain(cond)) + bias(cond).

    Args:
        channels: C.
        cond_dim: with `num_classes` 0, the length of a float condition vector (a label vector, a
            class embedding, a latent chunk, or their concatenation) mapped by linear layers.
        num_classes: when > 0, `cond` is an integer class index [N] and each class has its own
            gain and bias (embedding tables), and `cond_dim` is ignored.

    Gains are parametrised as 1 + delta with delta starting at 0, so a fresh layer is plain BN.
    """

    def __init__(self, channels: int, cond_dim: int = 0, num_classes: int = 0) -> None:
        super().__init__()
        if num_classes <= 0 and cond_dim <= 0:
            raise ValueError("ConditionalBatchNorm2d needs num_classes > 0 or cond_dim > 0")
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.num_classes = num_classes
        if num_classes > 0:
            self.gain = nn.Embedding(num_classes, channels)
            self.bias = nn.Embedding(num_classes, channels)
        else:
            self.gain = nn.Linear(cond_dim, channels, bias=False)
            self.bias = nn.Linear(cond_dim, channels, bias=False)
        nn.init.zeros_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        if self.num_classes > 0 and cond.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"class-conditional BN needs integer labels [N], got dtype {cond.dtype}")
        gain = 1 + self.gain(cond)[:, :, None, None]  # [N, C] -> [N, C, 1, 1]
        bias = self.bias(cond)[:, :, None, None]
        return self.bn(x) * gain + bias
