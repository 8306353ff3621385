"""Fully connected generator and discriminator for 2-D point data (the mode-collapse benchmarks).

The two protocols of the literature are option sets of these families (see the toy presets):
- VEEGAN / Unrolled GAN (Srivastava et al. 2017, Metz et al. 2017): z 256-d, G and D with two tanh
  layers of 128 units.
- PacGAN (Lin et al. 2018, section 5.1): z 2-d, G with four ReLU layers of 400 units and batch
  norm, D with three maxout layers of 200 units and 5 pieces.
The remedies for mode collapse are options of D: PacGAN packing (`pack`), minibatch discrimination
(`minibatch_kernels`) and minibatch standard deviation (`minibatch_std_group`); the last two come
right before D's output layer.
"""

from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from gankit.nn.maxout import MaxoutLinear
from gankit.nn.minibatch_discrimination import MinibatchDiscrimination
from gankit.nn.minibatch_std import MinibatchStd
from gankit.nn.pack import pack
from gankit.nn.shape import check_shape
from gankit.registry import DISCRIMINATORS, GENERATORS

POINT_DIM = 2
Activation = Literal["tanh", "relu", "leaky-relu"]
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "leaky-relu": lambda: nn.LeakyReLU(0.2)}


class MLPGeneratorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["mlp"] = "mlp"
    z_dim: int = Field(256, ge=1)
    width: int = Field(128, ge=1)  # units per hidden layer
    depth: int = Field(2, ge=1)  # hidden layers
    activation: Activation = "tanh"
    batch_norm: bool = False  # batch norm before each hidden activation (PacGAN's G)


class MLPDiscriminatorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["mlp"] = "mlp"
    width: int = Field(128, ge=1)  # units per hidden layer
    depth: int = Field(2, ge=1)  # hidden layers
    activation: Activation | Literal["maxout"] = "tanh"
    maxout_pieces: int = Field(5, ge=2)  # affine pieces per maxout unit, for activation 'maxout'
    pack: int = Field(1, ge=1)  # PacGAN: D judges this many samples at once; the batch must be a multiple of it
    minibatch_kernels: int = Field(0, ge=0)  # minibatch discrimination kernels B (Salimans et al.); 0: off
    minibatch_kernel_dim: int = Field(5, ge=1)  # dimension C of each kernel
    minibatch_std_group: int = Field(0, ge=0)  # minibatch std group size (Karras et al.); 0: off


@GENERATORS.register("mlp", options=MLPGeneratorOptions)
class MLPGenerator(nn.Module):
    """z [N, z_dim] -> points [N, 2], with a linear output (the data is not bounded to [-1, 1]).

    `resolution` and `channels` come with every generator's arguments and are unused: points are 2-D.
    """

    def __init__(
        self,
        resolution: int = 0,
        channels: int = 0,
        z_dim: int = 256,
        width: int = 128,
        depth: int = 2,
        activation: Activation = "tanh",
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        self.z_dim = z_dim
        layers: list[nn.Module] = []
        for i in range(depth):
            layers.append(nn.Linear(z_dim if i == 0 else width, width, bias=not batch_norm))
            layers += [nn.BatchNorm1d(width)] if batch_norm else []
            layers.append(ACTIVATIONS[activation]())
        layers.append(nn.Linear(width, POINT_DIM))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_shape("z", z, [None, self.z_dim])
        return self.net(z)


@DISCRIMINATORS.register("mlp", options=MLPDiscriminatorOptions)
class MLPDiscriminator(nn.Module):
    """points [N, 2] -> logits [N / pack].

    With `pack=m` consecutive runs of m points are concatenated into one input of 2m features
    (`gankit.nn.pack`), so D returns one logit per pack; losses and penalties take logits of any
    length, which is how packing works with every loss.
    """

    def __init__(
        self,
        resolution: int = 0,
        channels: int = 0,
        width: int = 128,
        depth: int = 2,
        activation: Activation | Literal["maxout"] = "tanh",
        maxout_pieces: int = 5,
        pack: int = 1,
        minibatch_kernels: int = 0,
        minibatch_kernel_dim: int = 5,
        minibatch_std_group: int = 0,
    ) -> None:
        super().__init__()
        self.pack = pack
        layers: list[nn.Module] = []
        in_features = POINT_DIM * pack
        for _ in range(depth):
            if activation == "maxout":
                layers.append(MaxoutLinear(in_features, width, maxout_pieces))
            else:
                layers += [nn.Linear(in_features, width), ACTIVATIONS[activation]()]
            in_features = width
        if minibatch_kernels:
            layers.append(MinibatchDiscrimination(in_features, minibatch_kernels, minibatch_kernel_dim))
            in_features += minibatch_kernels
        if minibatch_std_group:
            layers.append(MinibatchStd(minibatch_std_group))
            in_features += 1
        layers.append(nn.Linear(in_features, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        check_shape("points", points, [None, POINT_DIM])
        x = pack(points, self.pack) if self.pack > 1 else points  # [N, 2] -> [N / m, 2m]
        return self.net(x).flatten()  # [N / m, 1] -> [N / m]
