"""Output heads that make a discriminator conditional.

Projection (Miyato & Koyama 2018, "cGANs with projection discriminator", equation 3): the logit
is psi(h) + <embed(y), h>, the inner product of D's features with a learned embedding of the
label. The auxiliary classifier (Odena et al. 2017, AC-GAN) predicts the label from h instead.
"""

import torch
from torch import nn

from gankit.nn.spectral_norm import spectral_norm


class ProjectionHead(nn.Module):
    """h [N, F], y -> logits [N] = linear(h) + <embed(y), h>.

    Args:
        features: F, the width of D's pooled features.
        num_classes: when > 0, y is an integer class [N] and embed is a lookup table.
        label_dim: with num_classes 0, y is a float vector [N, label_dim] (multi-label or continuous
            attributes) and embed is a linear map without bias.
        use_spectral_norm: normalise the linear layer and the embedding, as SNGAN-projection does.
    """

    def __init__(self, features: int, num_classes: int = 0, label_dim: int = 0, use_spectral_norm: bool = True):
        super().__init__()
        if (num_classes > 0) == (label_dim > 0):
            raise ValueError("ProjectionHead needs exactly one of num_classes > 0 (class labels) or label_dim > 0")
        self.num_classes = num_classes
        self.linear = nn.Linear(features, 1)
        self.embed = nn.Embedding(num_classes, features) if num_classes else nn.Linear(label_dim, features, bias=False)
        if use_spectral_norm:
            spectral_norm(self.linear)
            spectral_norm(self.embed)

    def forward(self, h: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.num_classes and y.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"class labels must be integers [N], got dtype {y.dtype}")
        e = self.embed(y)  # [N, F]
        return self.linear(h).flatten() + (e * h).sum(dim=1)  # [N]


class AuxClassifierHead(nn.Module):
    """h [N, F] -> (logits [N], class logits [N, K]): AC-GAN's shared trunk with two outputs."""

    def __init__(self, features: int, num_classes: int, use_spectral_norm: bool = True) -> None:
        super().__init__()
        self.linear = nn.Linear(features, 1)
        self.classifier = nn.Linear(features, num_classes)
        if use_spectral_norm:
            spectral_norm(self.linear)
            spectral_norm(self.classifier)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.linear(h).flatten(), self.classifier(h)
