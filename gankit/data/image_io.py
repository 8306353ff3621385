"""Writing images and grids to disk as uint8 PNG."""

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gankit.data.dataset import to_uint8


def make_grid(images: torch.Tensor, nrow: int | None = None, pad: int = 1) -> np.ndarray:
    """[N, C, H, W] float in [-1, 1] or uint8 -> uint8 [rows*(H+pad)+pad, cols*(W+pad)+pad, C] grid."""
    img = images if images.dtype == torch.uint8 else to_uint8(images)
    n, c, h, w = img.shape
    cols = nrow or math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    grid = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad, c), dtype=np.uint8)
    arr = img.permute(0, 2, 3, 1).cpu().numpy()  # [N, C, H, W] -> [N, H, W, C]
    for i in range(n):
        r, q = divmod(i, cols)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + q * (w + pad) : pad + q * (w + pad) + w] = arr[i]
    return grid


def save_grid(images: torch.Tensor, path: str | Path, nrow: int | None = None) -> Path:
    """Save a grid of images [N, C, H, W] as a PNG, creating the folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    grid = make_grid(images, nrow)
    Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(path)
    return path
