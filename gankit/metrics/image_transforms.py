"""Band-limited translation and rotation of sampled images, with masks of where the result is defined
(the reference side of the equivariance metrics, Karras et al. 2021, "Alias-Free GANs", appendix E).

Coordinates follow `F.affine_grid`: x runs along the width, y along the height, and an image spans
[-1, 1] in normalized units. "Move the content by t" means out(p) = img(p - t).
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from gankit.nn.upfirdn2d import filter2d, upsample2d


def translate_integer(img: torch.Tensor, tx: int, ty: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Move the content of [N, C, H, W] by (tx, ty) whole pixels; return (image, mask), zeros where undefined."""
    H, W = img.shape[2:]
    out, mask = torch.zeros_like(img), torch.zeros_like(img)
    if abs(tx) < W and abs(ty) < H:
        src = img[:, :, max(-ty, 0) : H + min(-ty, 0), max(-tx, 0) : W + min(-tx, 0)]
        out[:, :, max(ty, 0) : H + min(ty, 0), max(tx, 0) : W + min(tx, 0)] = src
        mask[:, :, max(ty, 0) : H + min(ty, 0), max(tx, 0) : W + min(tx, 0)] = 1
    return out, mask


def lanczos_taps(frac: float, a: int = 3) -> np.ndarray:
    """Weights (summing to 1) of the 2a Lanczos-`a` taps at offsets k = -a+1..a for a shift by `frac` in [0, 1)."""
    k = np.arange(-a + 1, a + 1) - frac
    w = np.sinc(k) * np.sinc(k / a)
    return w / w.sum()


def translate_fractional(img: torch.Tensor, tx: float, ty: float, a: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """Move the content of [N, C, H, W] by (tx, ty) pixels with Lanczos-`a` interpolation; return (image, mask).

    out[j] = sum_k w_k img[j - floor(t) - k]: a sum of integer shifts, separably in x and y. The mask keeps
    the pixels whose every tap lies inside the image.
    """
    out, mask = img, torch.ones_like(img)
    for axis_shift in ((tx, 0), (0, ty)):
        t = axis_shift[0] or axis_shift[1]
        i, weights = math.floor(t), lanczos_taps(t - math.floor(t), a)
        acc, acc_mask = torch.zeros_like(img), torch.ones_like(img)
        for k, wk in zip(range(-a + 1, a + 1), weights, strict=True):
            shift = (i + k, 0) if axis_shift[0] else (0, i + k)
            moved, valid = translate_integer(out, *shift)
            acc, acc_mask = acc + wk * moved, acc_mask * valid
        out, mask = acc, mask * acc_mask
    return out * mask, mask


def rotation_matrix(angle: float) -> torch.Tensor:
    """3x3 homogeneous matrix rotating (x, y) by `angle` radians (counter-clockwise for y up, clockwise on screen)."""
    c, s = math.cos(angle), math.sin(angle)
    return torch.tensor([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def bandlimit_filter(angle: float, up: int, amax: int = 6, grid: int = 64) -> torch.Tensor:
    """2-D FIR at `up` samples per pixel whose pass band is the pixel grid's band (|f_x|, |f_y| < 1/2 cycles
    per pixel) intersected with that band rotated by `angle` (the frequencies a rotation by `angle` keeps),
    windowed by a radial Lanczos window of `amax` pixels.

    For up = 1 it is [2 amax + 1]^2, centred on a tap (for filter2d). For up > 1 it is [2 amax up]^2,
    centred between taps as upsample2d expects of even filters, and each of the up x up polyphase
    components sums to 1 / up^2, so filtered upsampling keeps a constant image constant.
    """
    size = 2 * grid * up
    f = torch.fft.fftfreq(size, d=1 / up, dtype=torch.float64)  # cycles per original pixel
    fy, fx = torch.meshgrid(f, f, indexing="ij")
    c, s = math.cos(angle), math.sin(angle)
    rx, ry = c * fx + s * fy, -s * fx + c * fy
    response = ((fx.abs() < 0.5) & (fy.abs() < 0.5) & (rx.abs() < 0.5) & (ry.abs() < 0.5)).to(torch.complex128)

    # Taps at (i - centre) / up pixels; an even filter's centre lies half a tap off the FFT grid, so shift by it.
    taps = 2 * amax * up + (1 if up == 1 else 0)
    centre = (taps - 1) / 2
    delta = (centre - taps // 2) / up  # 0 or -1/(2 up) pixels
    response = response * torch.exp(-2j * math.pi * (fx + fy) * delta)
    h = torch.fft.fftshift(torch.fft.ifft2(response).real)  # tap 0 at index size // 2
    lo = size // 2 - taps // 2
    h = h[lo : lo + taps, lo : lo + taps]
    x = (torch.arange(taps, dtype=torch.float64) - centre) / up
    r = torch.sqrt(x[None, :] ** 2 + x[:, None] ** 2)
    h = h * torch.where(r < amax, torch.sinc(r / amax), torch.zeros_like(r))

    # Normalize every polyphase component.
    k = taps // up
    phases = h.reshape(k, up, k, up)
    phases = phases / phases.sum(dim=(0, 2), keepdim=True) / up**2
    return phases.reshape(taps, taps).float()


def _border_mask(like: torch.Tensor, border: int) -> torch.Tensor:
    mask = torch.zeros_like(like)
    mask[:, :, border : like.shape[2] - border, border : like.shape[3] - border] = 1
    return mask


def rotate(img: torch.Tensor, angle: float, up: int = 4, amax: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate the content of [N, C, H, W] (square) by `angle` about the image centre; return (image, mask).

    The image is upsampled `up` times with `bandlimit_filter` (which also removes what the rotation
    cannot keep), then sampled bilinearly at the rotated positions; the mask keeps pixels whose
    source lies at least the filter's reach inside the image.
    """
    N, C, H, W = img.shape
    f = bandlimit_filter(angle, up, amax).to(img.device, img.dtype)
    big = upsample2d(img, f, up=up)  # [N, C, H up, W up], same normalized extent as img
    theta = rotation_matrix(-angle)[:2].to(img.device, img.dtype).unsqueeze(0).repeat(N, 1, 1)
    grid = F.affine_grid(theta, [N, C, H, W], align_corners=False)
    out = F.grid_sample(big, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    mask = F.grid_sample(_border_mask(big, amax * up + 1), grid, mode="nearest", align_corners=False)
    return out * mask, mask


def pseudo_rotate(img: torch.Tensor, angle: float, amax: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    """Filter [N, C, H, W] with the band of a rotation by `angle`, without rotating; return (image, mask).

    Applied to the generator's output for the rotated input so that both sides of EQ-R carry the same
    frequencies (a rotated square band loses its corners on the pixel grid).
    """
    f = bandlimit_filter(angle, 1, amax).to(img.device, img.dtype)
    out = filter2d(img, f)
    mask = _border_mask(img, amax + 1)
    return out * mask, mask
