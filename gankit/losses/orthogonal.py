"""BigGAN's orthogonal regularization (Brock et al. 2019, section 3.1, eq. 3).

R(W) = beta * || W^T W * (1 - I) ||_F^2, with W flattened to [out, in * kh * kw] and its rows as the
filters: only the off-diagonal inner products of the filters are pushed to 0, so filter norms stay
free (unlike the full form || W^T W - I ||_F^2 of Brock et al. 2017). The paper uses beta = 1e-4.
"""

import torch
from torch import nn


def orthogonal_penalty(weight: torch.Tensor) -> torch.Tensor:
    """|| W W^T (1 - I) ||_F^2 for a weight [out, ...] whose rows (filters) are flattened; a scalar."""
    w = weight.flatten(1)  # [out, in * kh * kw]
    gram = w @ w.t()  # [out, out]: inner products of the filters
    off_diagonal = gram * (1 - torch.eye(gram.shape[0], device=w.device, dtype=w.dtype))
    return off_diagonal.square().sum()


def orthogonal_regularization(module: nn.Module, beta: float = 1e-4) -> torch.Tensor:
    """beta times the sum of `orthogonal_penalty` over the weights of every conv and linear layer of `module`."""
    total = torch.zeros(())
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            w = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
            total = total.to(w) + orthogonal_penalty(w)
    return beta * total
