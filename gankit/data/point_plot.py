"""Scatter plots of 2-D samples over the mode centres, with a heat map behind, drawn with Pillow."""

from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

SIZE = 512  # pixels per side
HEAT_LOW = np.array([20, 24, 64], dtype=np.float64)  # colour of the heat map's minimum (dark blue)
HEAT_MID = np.array([150, 60, 120], dtype=np.float64)
HEAT_HIGH = np.array([250, 220, 120], dtype=np.float64)  # colour of its maximum (light yellow)


def plot_extent(centres: torch.Tensor, margin: float = 0.5) -> tuple[float, float]:
    """(low, high) of a square view that holds every centre [K, 2] with `margin` of the spread around it."""
    low, high = float(centres.min()), float(centres.max())
    pad = margin * (high - low)
    return low - pad, high + pad


def heat_colours(values: np.ndarray) -> np.ndarray:
    """[H, W] values -> uint8 [H, W, 3]: min-max normalised, then blue -> purple -> yellow."""
    span = values.max() - values.min()
    t = (values - values.min()) / span if span > 0 else np.zeros_like(values)
    t = t[..., None]
    low_half = HEAT_LOW + (HEAT_MID - HEAT_LOW) * np.clip(2 * t, 0, 1)
    out = np.where(t < 0.5, low_half, HEAT_MID + (HEAT_HIGH - HEAT_MID) * np.clip(2 * t - 1, 0, 1))
    return out.round().astype(np.uint8)


def draw_scatter(
    samples: torch.Tensor,
    centres: torch.Tensor,
    path: str | Path,
    heat: torch.Tensor | None = None,
    extent: tuple[float, float] | None = None,
) -> Path:
    """Save a PNG of samples (white dots) over mode centres (red rings) and an optional heat map.

    Args:
        samples: [N, 2] points.
        centres: [K, 2] mode means.
        path: the PNG to write; its folder is created.
        heat: [R, R] values on a regular grid over `extent` (row 0 at the top, i.e. the highest y), or None.
        extent: (low, high) of both axes; by default it fits the centres.

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    low, high = extent or plot_extent(centres)

    # Paint the heat map, or a plain dark background.
    if heat is not None:
        image = Image.fromarray(heat_colours(heat.detach().double().cpu().numpy())).resize((SIZE, SIZE), Image.BILINEAR)
    else:
        image = Image.new("RGB", (SIZE, SIZE), tuple(int(c) for c in HEAT_LOW))
    draw = ImageDraw.Draw(image)

    # Map data coordinates to pixels (y grows upwards in the data, downwards in the image).
    def to_px(points: torch.Tensor) -> np.ndarray:
        xy = (points.detach().double().cpu().numpy() - low) / (high - low) * (SIZE - 1)
        xy[:, 1] = SIZE - 1 - xy[:, 1]
        return xy

    # Draw the centres, then the samples on top.
    for x, y in to_px(centres):
        draw.ellipse((x - 6, y - 6, x + 6, y + 6), outline=(230, 40, 40), width=2)
    for x, y in to_px(samples):
        draw.rectangle((x - 1, y - 1, x + 1, y + 1), fill=(255, 255, 255))
    image.save(path)
    return path


def grid_points(extent: tuple[float, float], resolution: int) -> torch.Tensor:
    """[R*R, 2] points of a regular grid over the square `extent`, row-major from the top (highest y)."""
    low, high = extent
    axis = torch.linspace(low, high, resolution)
    ys, xs = torch.meshgrid(axis.flip(0), axis, indexing="ij")  # [R, R] each, y decreasing down the rows
    return torch.stack([xs.flatten(), ys.flatten()], dim=1)  # [R, R] x 2 -> [R*R, 2]
