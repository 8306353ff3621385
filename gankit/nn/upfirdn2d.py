"""Upsample, FIR-filter, downsample (upfirdn2d) and the filtered resampling built on it, in plain PyTorch.

The operator follows the definition used by StyleGAN2 (Karras et al. 2020, appendix B) and its
reference implementation: insert `up - 1` zeros after every sample, pad (negative padding crops),
convolve with the FIR filter `f`, keep every `down`-th sample. It runs as one zero-insertion
reshape, one pad and one or two depthwise convolutions (two when the filter is separable, i.e.
given as 1D), with the downsampling folded into the convolution's stride. No compile step.
"""

from collections.abc import Sequence

import torch
import torch.nn.functional as F

Pair = int | Sequence[int]


def _pair(v: Pair) -> tuple[int, int]:
    """(x, y) from an int or a pair."""
    if isinstance(v, int):
        return v, v
    x, y = v
    return int(x), int(y)


def _padding4(padding: int | Sequence[int]) -> tuple[int, int, int, int]:
    """(x0, x1, y0, y1) from an int, an (x, y) pair or four ints."""
    if isinstance(padding, int):
        return padding, padding, padding, padding
    padding = [int(p) for p in padding]
    if len(padding) == 2:
        return padding[0], padding[0], padding[1], padding[1]
    if len(padding) != 4:
        raise ValueError(f"padding must be an int, (x, y) or (x0, x1, y0, y1), got {padding}")
    return tuple(padding)


def setup_filter(
    f: Sequence[float] | torch.Tensor, normalize: bool = True, separable: bool = True, device=None
) -> torch.Tensor:
    """A float32 FIR filter: 1D [fw] (applied separably) or 2D [fh, fw].

    Args:
        f: the taps; a 1D list such as [1, 3, 3, 1] (the binomial filter of StyleGAN2), or 2D.
        normalize: scale so that the (outer-product) filter sums to 1.
        separable: keep a 1D filter 1D; False makes its 2D outer product.
        device: where the filter lives.
    """
    f = torch.as_tensor(f, dtype=torch.float32, device=device)
    if f.ndim not in (1, 2) or f.numel() == 0:
        raise ValueError(f"a FIR filter must be a non-empty 1D or 2D array, got shape {list(f.shape)}")
    if normalize:
        f = f / f.sum()  # a 1D filter summing to 1 has an outer product summing to 1
    if f.ndim == 1 and not separable:
        f = f.ger(f)
    return f


def filter_size(f: torch.Tensor | None) -> tuple[int, int]:
    """(fw, fh) of a filter; (1, 1) for None."""
    if f is None:
        return 1, 1
    return (f.shape[-1], f.shape[-1]) if f.ndim == 1 else (f.shape[1], f.shape[0])


def upfirdn2d(
    x: torch.Tensor,
    f: torch.Tensor | None,
    up: Pair = 1,
    down: Pair = 1,
    padding: int | Sequence[int] = 0,
    flip_filter: bool = False,
    gain: float = 1.0,
) -> torch.Tensor:
    """Upsample by zero insertion, pad, convolve with `f`, downsample.

    Args:
        x: [N, C, H, W].
        f: filter from `setup_filter`, 1D [fw] (separable) or 2D [fh, fw]; None is the identity [[1]].
        up: upsampling factor, an int or (x, y).
        down: downsampling factor, an int or (x, y).
        padding: (x0, x1, y0, y1), an (x, y) pair or an int; negative values crop.
        flip_filter: False computes a true convolution (the filter is flipped for conv2d), True a correlation.
        gain: overall scale of the output (the filter's sum is multiplied by this).

    Returns:
        [N, C, (H * up_y + y0 + y1 - fh) // down_y + 1, (W * up_x + x0 + x1 - fw) // down_x + 1].
    """
    if x.ndim != 4:
        raise ValueError(f"upfirdn2d expects x of shape [N, C, H, W], got {list(x.shape)}")
    if f is None:
        f = torch.ones(1, 1, dtype=torch.float32, device=x.device)
    up_x, up_y = _pair(up)
    down_x, down_y = _pair(down)
    px0, px1, py0, py1 = _padding4(padding)
    N, C, H, W = x.shape

    # Insert up-1 zeros after every sample.
    if up_x > 1 or up_y > 1:
        x = x.reshape(N, C, H, 1, W, 1)
        x = F.pad(x, [0, up_x - 1, 0, 0, 0, up_y - 1])  # [N, C, H, up_y, W, up_x]
        x = x.reshape(N, C, H * up_y, W * up_x)

    # Pad, then crop where the padding is negative.
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0) : x.shape[2] - max(-py1, 0), max(-px0, 0) : x.shape[3] - max(-px1, 0)]

    # Convolve depthwise (conv2d correlates, so flip for a true convolution); stride downsamples.
    f = f.to(x.dtype) * (gain ** (f.ndim / 2))
    if not flip_filter:
        f = f.flip(list(range(f.ndim)))
    if f.ndim == 2:
        w = f[None, None].repeat(C, 1, 1, 1)  # [C, 1, fh, fw]
        return F.conv2d(x, w, stride=(down_y, down_x), groups=C)
    x = F.conv2d(x, f[None, None, None, :].repeat(C, 1, 1, 1), stride=(1, down_x), groups=C)  # rows
    return F.conv2d(x, f[None, None, :, None].repeat(C, 1, 1, 1), stride=(down_y, 1), groups=C)  # columns


def filter2d(x: torch.Tensor, f: torch.Tensor, padding: int | Sequence[int] = 0, gain: float = 1.0) -> torch.Tensor:
    """Filter [N, C, H, W] with `f`, keeping the size (plus `padding` on each side)."""
    fw, fh = filter_size(f)
    px0, px1, py0, py1 = _padding4(padding)
    pad = [px0 + fw // 2, px1 + (fw - 1) // 2, py0 + fh // 2, py1 + (fh - 1) // 2]
    return upfirdn2d(x, f, padding=pad, gain=gain)


def upsample2d(x: torch.Tensor, f: torch.Tensor | None, up: int = 2, padding: int | Sequence[int] = 0) -> torch.Tensor:
    """Filtered upsampling [N, C, H, W] -> [N, C, H * up, W * up] (plus padding), gain up**2 so a constant stays."""
    fw, fh = filter_size(f)
    px0, px1, py0, py1 = _padding4(padding)
    pad = [
        px0 + (fw + up - 1) // 2,
        px1 + (fw - up) // 2,
        py0 + (fh + up - 1) // 2,
        py1 + (fh - up) // 2,
    ]
    return upfirdn2d(x, f, up=up, padding=pad, gain=up * up)


def downsample2d(
    x: torch.Tensor, f: torch.Tensor | None, down: int = 2, padding: int | Sequence[int] = 0
) -> torch.Tensor:
    """Filtered downsampling [N, C, H, W] -> [N, C, H // down, W // down] (plus padding)."""
    fw, fh = filter_size(f)
    px0, px1, py0, py1 = _padding4(padding)
    pad = [
        px0 + (fw - down + 1) // 2,
        px1 + (fw - down) // 2,
        py0 + (fh - down + 1) // 2,
        py1 + (fh - down) // 2,
    ]
    return upfirdn2d(x, f, down=down, padding=pad)
