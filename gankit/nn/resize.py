"""Power-of-two image resizing by box filtering and nearest-neighbour copying, and the cross-fade between scales.

These are the resampling operators of progressive growing (Karras et al. 2018, PGGAN figure 2): 2x
average pooling down, nearest-neighbour up, so that a downsample of an upsample returns the input exactly.
"""

import torch
import torch.nn.functional as F


def _factor(size: int, target: int) -> int:
    big, small = max(size, target), min(size, target)
    if small < 1 or big % small or (big // small) & (big // small - 1):
        raise ValueError(f"cannot resize {size}x{size} images to {target}x{target}: the sizes must differ by 2**k")
    return big // small


def downsample_box(img: torch.Tensor, size: int) -> torch.Tensor:
    """[N, C, H, H] -> [N, C, size, size] by averaging (H / size) x (H / size) boxes; H / size a power of two."""
    factor = _factor(img.shape[-1], size)
    return F.avg_pool2d(img, factor) if factor > 1 else img


def upsample_nearest(img: torch.Tensor, size: int) -> torch.Tensor:
    """[N, C, H, H] -> [N, C, size, size] by repeating every pixel (size / H) times along each axis."""
    factor = _factor(img.shape[-1], size)
    return F.interpolate(img, scale_factor=factor, mode="nearest") if factor > 1 else img


def upsample_to_at_least(img: torch.Tensor, size: int) -> torch.Tensor:
    """Images [N, C, H, H] smaller than `size` upsampled to it (nearest); anything else, e.g. 2-D points, unchanged."""
    return upsample_nearest(img, size) if img.ndim == 4 and img.shape[-1] < size else img


def resize_images(img: torch.Tensor, size: int) -> torch.Tensor:
    """[N, C, H, H] -> [N, C, size, size]: box filter down or nearest neighbour up, by a power of two."""
    return downsample_box(img, size) if img.shape[-1] >= size else upsample_nearest(img, size)


def fade_in_detail(img: torch.Tensor, alpha: float) -> torch.Tensor:
    """[N, C, H, H] -> same: lerp(upsample(downsample(img, H/2)), img, alpha), the image during a fade-in.

    At alpha 0 the image holds only the detail of H/2 (each 2x2 block is its mean); at alpha 1 it is `img`.
    """
    if alpha >= 1:
        return img
    coarse = upsample_nearest(downsample_box(img, img.shape[-1] // 2), img.shape[-1])
    return torch.lerp(coarse, img, alpha)
