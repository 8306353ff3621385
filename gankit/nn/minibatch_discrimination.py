"""Minibatch discrimination (Salimans et al. 2016, "Improved techniques for training GANs", section 3.2).

Paper symbols: f(x_i) in R^A are the input features, T in R^{A x B x C} the learned projection,
M_i = f(x_i) T in R^{B x C}, c_b(x_i, x_j) = exp(-||M_{i,b} - M_{j,b}||_L1) and
o(x_i)_b = sum_j c_b(x_i, x_j). The layer outputs [f(x_i), o(x_i)].
"""

import torch
from torch import nn


class MinibatchDiscrimination(nn.Module):
    """Append, per sample, B closeness statistics to the other samples of the batch.

    The sum over j leaves out j = i: the paper's sum includes it, which only adds the constant 1.

    Args:
        in_features: A, the width of the input features.
        kernels: B, the number of statistics appended.
        kernel_dim: C, the dimension each kernel compares in.
    """

    def __init__(self, in_features: int, kernels: int, kernel_dim: int) -> None:
        super().__init__()
        self.kernels, self.kernel_dim = kernels, kernel_dim
        self.T = nn.Parameter(torch.randn(in_features, kernels * kernel_dim) * 0.1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """[N, A] -> [N, A + B]."""
        n = features.shape[0]
        m = (features @ self.T).reshape(n, self.kernels, self.kernel_dim).transpose(0, 1)  # [N, A] -> [B, N, C]
        l1 = torch.cdist(m, m, p=1)  # [B, N, N], without the [N, N, B, C] difference tensor
        closeness = torch.exp(-l1).sum(dim=2).T - 1  # [B, N, N] -> [N, B], minus c_b(x_i, x_i) = 1
        return torch.cat([features, closeness], dim=1)
