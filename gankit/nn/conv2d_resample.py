"""2D convolution fused with filtered up- or downsampling, in plain PyTorch.

Semantics: `up=2` equals `conv2d(upsample2d(x, f, padding=p), w)` and `down=2` equals
`conv2d(upfirdn2d(x, f, padding=...), w, stride=2)`: the convolution's zero padding is applied
around the filtered map, and the filter always runs at the high resolution. Upsampling runs
as a stride-2 transposed convolution followed by the FIR filter, which costs a quarter of the
multiply-adds of convolving the upsampled map; downsampling filters first and lets the
convolution's stride drop samples. Both are exact rewrites (convolutions commute), and
tests/nn/test_conv2d_resample.py checks them against the plain compositions.
"""

import torch
import torch.nn.functional as F

from gankit.nn.upfirdn2d import filter_size, upfirdn2d


def conv2d_resample(
    x: torch.Tensor,
    w: torch.Tensor,
    f: torch.Tensor | None = None,
    up: int = 1,
    down: int = 1,
    padding: int = 0,
    groups: int = 1,
) -> torch.Tensor:
    """Convolve x with w (cross-correlation, like conv2d), with optional filtered resampling.

    Args:
        x: [N, groups * I, H, W].
        w: [groups * O, I, k, k].
        f: FIR filter from `setup_filter` used for resampling; None means a box of size 1.
        up: 1 or an integer upsampling factor (then down must be 1).
        down: 1 or an integer downsampling factor.
        padding: the convolution's zero padding on each side, as for conv2d.
        groups: as for conv2d.

    Returns:
        [N, groups * O, H * up + 2p - k + 1, ...] for up, or [N, groups * O, (H + 2p - k) // down + 1, ...] for down.
    """
    if up > 1 and down > 1:
        raise NotImplementedError(f"conv2d_resample with up={up} and down={down} at once is not implemented")
    k = w.shape[-1]
    fw, fh = filter_size(f)
    if up == 1 and down == 1:
        return F.conv2d(x, w, padding=padding, groups=groups)

    # Downsample: FIR filter at the input resolution, then a strided convolution.
    if down > 1:
        x = upfirdn2d(
            x,
            f,
            padding=[
                padding + (fw - down + 1) // 2,
                padding + (fw - down) // 2,
                padding + (fh - down + 1) // 2,
                padding + (fh - down) // 2,
            ],
        )
        return F.conv2d(x, w, stride=down, groups=groups)

    # Upsample: transposed convolution (weight flipped, in/out swapped per group), then FIR filter with gain up^2.
    c_out, c_in = w.shape[0] // groups, w.shape[1]
    wt = w.reshape(groups, c_out, c_in, k, k).transpose(1, 2).reshape(groups * c_in, c_out, k, k).flip([2, 3])
    x = F.conv_transpose2d(x, wt, stride=up, groups=groups)  # [N, groups*c_out, (H-1)*up + k, ...]
    px0 = padding + (fw + up - 1) // 2 - (k - 1)
    px1 = up + 2 * padding - 2 * k + fw - px0
    py0 = padding + (fh + up - 1) // 2 - (k - 1)
    py1 = up + 2 * padding - 2 * k + fh - py0
    return upfirdn2d(x, f, padding=[px0, px1, py0, py1], gain=up * up)
