"""The pictures a run writes: sample grids for images, scatter plots over D's output for 2-D points."""

from pathlib import Path

import torch
from torch import nn

from gankit.data.image_io import save_grid
from gankit.data.point_plot import draw_scatter, grid_points, plot_extent

HEAT_RESOLUTION = 128  # D is evaluated on this many points per side for the heat map
HEAT_CHUNK = 512  # grid points per D call


@torch.no_grad()
def d_heat_map(D: nn.Module, extent: tuple[float, float], resolution: int = HEAT_RESOLUTION) -> torch.Tensor:
    """D's logits [R, R] on a grid over `extent`; a packing D scores m copies of each grid point as one input."""
    points = grid_points(extent, resolution)  # [R*R, 2]
    m = getattr(D, "pack", 1)
    device = next(D.parameters()).device
    was_training = D.training
    D.eval()
    # Score in chunks: a D with minibatch layers compares every pair of a batch.
    inputs = points.repeat_interleave(m, dim=0).to(device)  # [R*R, 2] -> [R*R*m, 2]
    logits = torch.cat([D(chunk) for chunk in inputs.split(HEAT_CHUNK * m)])  # [R*R]
    D.train(was_training)
    return logits.reshape(resolution, resolution).cpu()  # [R*R] -> [R, R]


def save_samples_picture(samples: torch.Tensor, path: str | Path, dataset, D: nn.Module | None = None) -> Path:
    """Write the snapshot picture of `samples`.

    Args:
        samples: images [N, C, H, W] in [-1, 1] (a grid), or points [N, 2] of a mixture dataset (a scatter
            plot over the dataset's mode centres, with D's logits as a heat map when D is given).
        path: the PNG to write.
        dataset: the training dataset; a point dataset provides the mixture's centres.
        D: the discriminator, or None.

    Returns:
        The path written.
    """
    if samples.ndim != 2:
        return save_grid(samples, path)
    centres = dataset.mixture.centres
    extent = plot_extent(centres)
    heat = d_heat_map(D, extent) if D is not None else None
    return draw_scatter(samples, centres, path, heat=heat, extent=extent)


def save_reals_picture(dataset, path: str | Path) -> Path:
    """Write the picture of real data a run starts with: 64 images, or the dataset's snapshot count of points."""
    return save_samples_picture(dataset.images[: getattr(dataset, "snapshot_samples", 64)], path, dataset)
