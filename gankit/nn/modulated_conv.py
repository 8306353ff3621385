"""Modulated convolution with weight demodulation (Karras et al. 2020, StyleGAN2 section 2.2, eqs. 1-3).

Paper symbols: w -> `weight` [O, I, k, k], s_i -> `styles` [N, I], sigma_j -> the demodulation
coefficients `dcoefs` [N, O]. Eq. 1: w'_ijk = s_i * w_ijk; eq. 3: w''_ijk = w'_ijk / sqrt(sum_ik w'^2 + eps).

Two implementations, equal up to rounding:
- "grouped": build every sample's weights and run one convolution with groups=N (the paper's
  implementation; one kernel launch however large the batch).
- "scaled": scale the input by s, run the shared weight over the batch, scale the output by sigma
  (the same arithmetic, since modulation and demodulation factor out of the sum; no per-sample
  weights, usually the faster one during training).
"""

from typing import Literal

import torch

from gankit.nn.conv2d_resample import conv2d_resample


def modulated_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    demodulate: bool = True,
    up: int = 1,
    down: int = 1,
    padding: int = 0,
    resample_filter: torch.Tensor | None = None,
    impl: Literal["grouped", "scaled"] = "grouped",
    eps: float = 1e-8,
) -> torch.Tensor:
    """Convolve each sample with the weight modulated by its own styles, optionally demodulated.

    Args:
        x: [N, I, H, W].
        weight: [O, I, k, k].
        styles: [N, I], the per-sample input-channel scales s.
        demodulate: divide each output channel by the norm of its modulated weights (eq. 3).
        up, down: filtered resampling factor (see conv2d_resample).
        padding: the convolution's zero padding.
        resample_filter: the FIR filter for resampling.
        impl: "grouped" or "scaled" (see the module docstring).
        eps: added under the square root of the demodulation.

    Returns:
        [N, O, H', W'] with H' as for conv2d_resample.
    """
    N, c_in, H, W = x.shape
    c_out, _, kh, kw = weight.shape
    if weight.shape[1] != c_in or styles.shape != (N, c_in):
        raise ValueError(
            f"modulated_conv2d: x {list(x.shape)}, weight {list(weight.shape)} and styles {list(styles.shape)} "
            f"disagree; expected weight [O, {c_in}, k, k] and styles [{N}, {c_in}]"
        )

    # Demodulation coefficients: sum_ik (s_i w_ijk)^2 = sum_i s_i^2 sum_k w_ijk^2, without per-sample weights.
    dcoefs = None
    if demodulate:
        dcoefs = (styles.square() @ weight.square().sum(dim=(2, 3)).t() + eps).rsqrt()  # [N, I] @ [I, O] -> [N, O]

    # Scaled: modulate the input, convolve with the shared weight, demodulate the output.
    if impl == "scaled":
        x = x * styles.to(x.dtype).reshape(N, c_in, 1, 1)
        x = conv2d_resample(x, weight.to(x.dtype), resample_filter, up=up, down=down, padding=padding)
        return x * dcoefs.to(x.dtype).reshape(N, c_out, 1, 1) if dcoefs is not None else x

    # Grouped: per-sample weights, one convolution with groups=N.
    w = weight.unsqueeze(0) * styles.reshape(N, 1, c_in, 1, 1)  # [N, O, I, k, k]
    if dcoefs is not None:
        w = w * dcoefs.reshape(N, c_out, 1, 1, 1)
    w = w.reshape(N * c_out, c_in, kh, kw).to(x.dtype)
    x = x.reshape(1, N * c_in, H, W)  # [N, I, H, W] -> [1, N*I, H, W]
    x = conv2d_resample(x, w, resample_filter, up, down, padding, groups=N)
    return x.reshape(N, c_out, *x.shape[2:])  # [1, N*O, H', W'] -> [N, O, H', W']
