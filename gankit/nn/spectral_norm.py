"""Spectral normalization (Miyato et al. 2018, "Spectral normalization for generative adversarial
networks", algorithm 1): W / sigma(W), with sigma estimated by power iteration.

The singular vectors u and v live in the parametrization's buffers, so they travel with the
module's state dict: evaluation, EMA copies, saved and loaded models all use the same estimate.
One power iteration runs per forward pass in training mode, none in eval mode.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize


class SpectralNorm(nn.Module):
    """A parametrization dividing a weight by its largest singular value.

    Args:
        weight: the weight being parametrized; its first dimension is the output (rows of W).
        n_power_iterations: power-iteration steps per training-mode forward pass.
        eps: added to norms to avoid division by zero.
    """

    def __init__(self, weight: torch.Tensor, n_power_iterations: int = 1, eps: float = 1e-12) -> None:
        super().__init__()
        self.n_power_iterations, self.eps = n_power_iterations, eps
        rows, cols = weight.shape[0], weight[0].numel()
        gen = torch.Generator().manual_seed(0)  # a fixed start: the estimate depends only on the weights seen
        self.register_buffer("u", F.normalize(torch.randn(rows, generator=gen), dim=0, eps=eps).to(weight))
        self.register_buffer("v", F.normalize(torch.randn(cols, generator=gen), dim=0, eps=eps).to(weight))

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        mat = weight.flatten(1)  # [out, in, kh, kw] -> [out, in*kh*kw]
        if self.training:
            with torch.no_grad():
                for _ in range(self.n_power_iterations):
                    self.v.copy_(F.normalize(mat.t() @ self.u, dim=0, eps=self.eps))
                    self.u.copy_(F.normalize(mat @ self.v, dim=0, eps=self.eps))
        # Clone: a later forward pass updates the buffers in place while this graph still needs them.
        u, v = self.u.clone(), self.v.clone()
        sigma = torch.dot(u, mat @ v)  # u^T W v, differentiable in W with u, v held fixed
        return weight / sigma


def spectral_norm(module: nn.Module, name: str = "weight", n_power_iterations: int = 1) -> nn.Module:
    """Apply spectral normalization to `module.<name>` in place and return the module."""
    parametrize.register_parametrization(module, name, SpectralNorm(getattr(module, name), n_power_iterations))
    return module
