"""The classic 2-D Gaussian mixtures of mode-collapse studies, `ring8` and `grid25`.

- ring8: 8 modes at angles 2 pi i / 8, i = 0..7, on a circle of radius 1, std 0.01 (VEEGAN,
  Srivastava et al. 2017; Unrolled GAN, Metz et al. 2017, used the same shape). Spacing the angles
  with `linspace(0, 2 pi, 8)` would put the last mode on the first and give 7 distinct modes.
- grid25: 25 modes at {-4, -2, 0, 2, 4}^2, std 0.05 (VEEGAN; PacGAN, Lin et al. 2018).
Both have uniform weights. The training set is a fixed draw of NUM_POINTS points (like the fixed
digits split), so every run of a benchmark sees the same data; the run seed sets its order.
"""

import math
from dataclasses import dataclass
from typing import Literal

import torch

NUM_POINTS = 100_000  # size of the fixed training set unless data.max_images says otherwise
DATA_SEED = 0
SNAPSHOT_SAMPLES = 2_500  # points in each snapshot scatter plot, the sample count of the toy metrics

MixtureName = Literal["ring8", "grid25"]


@dataclass(frozen=True)
class Mixture:
    """An isotropic Gaussian mixture with uniform weights.

    Attributes:
        centres: [K, 2] the mode means.
        std: the standard deviation of every mode along each axis.
    """

    centres: torch.Tensor
    std: float

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n points [n, 2] drawn from the mixture, and nothing else drawn from `generator`."""
        modes = torch.randint(len(self.centres), (n,), generator=generator)
        return self.centres[modes] + self.std * torch.randn(n, 2, generator=generator)


def mixture(name: MixtureName) -> Mixture:
    """The mixture called `name` ("ring8" or "grid25")."""
    if name == "ring8":
        angles = 2 * math.pi * torch.arange(8, dtype=torch.float64) / 8  # 8 distinct angles, 2 pi excluded
        centres = torch.stack([angles.cos(), angles.sin()], dim=1)  # [8] -> [8, 2]
        return Mixture(centres.float(), 0.01)
    if name == "grid25":
        axis = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
        centres = torch.cartesian_prod(axis, axis)  # [25, 2]
        return Mixture(centres, 0.05)
    raise ValueError(f"unknown mixture '{name}'; choose ring8 or grid25")


@dataclass
class PointDataset:
    """A fixed draw from a mixture, held like an image dataset but as float points.

    Attributes:
        images: float32 [N, 2], the points (named like ImageDataset's field so the batch stream takes both).
        labels: None (the mode of a point is not a training label).
        num_classes: None.
        name: a short description used in logs.
        mixture: the mixture the points come from (its centres and std are what the toy metrics score against).
        snapshot_samples: how many samples each snapshot plots.
    """

    images: torch.Tensor
    mixture: Mixture
    name: str
    labels: None = None
    num_classes: None = None
    skipped: tuple[str, ...] = ()
    snapshot_samples: int = SNAPSHOT_SAMPLES

    def __len__(self) -> int:
        return self.images.shape[0]

    def describe(self) -> str:
        k = len(self.mixture.centres)
        return f"{self.name}: {len(self)} points in 2-D from {k} Gaussians of std {self.mixture.std}"


def load_points(name: MixtureName, num_points: int = NUM_POINTS) -> PointDataset:
    """The built-in point set `name`: `num_points` points [N, 2] from a fixed seed."""
    mix = mixture(name)
    points = mix.sample(num_points, torch.Generator().manual_seed(DATA_SEED))
    return PointDataset(images=points, mixture=mix, name=name)
