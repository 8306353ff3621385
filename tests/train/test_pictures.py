import numpy as np
import torch
from PIL import Image

from gankit.data.points import load_points
from gankit.models.mlp import MLPDiscriminator
from gankit.train.pictures import d_heat_map, save_reals_picture, save_samples_picture


def test_point_snapshot_is_a_scatter_over_the_d_heat_map(tmp_path):
    data = load_points("ring8", 500)
    D = MLPDiscriminator(pack=2)
    path = save_samples_picture(data.images[:200], tmp_path / "fakes.png", data, D)
    img = np.asarray(Image.open(path))
    assert img.shape == (512, 512, 3)
    assert (img == 255).all(axis=2).sum() > 100  # white sample dots
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50  # a heat map, not a flat background


def test_heat_map_scores_each_grid_point_once_per_pack():
    """A packing D sees m copies of a grid point as one input, so the map has one value per point."""
    D = MLPDiscriminator(pack=3)
    heat = d_heat_map(D, (-1.0, 1.0), resolution=16)
    assert heat.shape == (16, 16)
    top_left = D(torch.tensor([[-1.0, 1.0]]).repeat(3, 1))
    torch.testing.assert_close(heat[0, 0], top_left[0].detach())


def test_reals_picture_of_images_is_a_grid(tmp_path):
    from gankit.data.digits import load_digits_dataset

    path = save_reals_picture(load_digits_dataset("test", 8), tmp_path / "reals.png")
    assert Image.open(path).size == (8 * 9 + 1, 8 * 9 + 1)
