import pytest
import torch

from gankit.config import load_config
from gankit.nets import build_networks


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        ["discriminator.pack=4"],
        ["discriminator.minibatch_kernels=5"],
        ["discriminator.minibatch_std_group=4"],
    ],
)
def test_veegan_protocol_shapes(overrides):
    G, D = build_networks(load_config("toy-veegan", overrides))
    z = torch.randn(16, 256)
    points = G(z)
    assert points.shape == (16, 2)
    pack = load_config("toy-veegan", overrides).discriminator.pack
    assert D(points).shape == (16 // pack,)


def test_pacgan_protocol_networks():
    """PacGAN's toy networks: z 2-d, G 4 ReLU+BN layers of 400, D 3 maxout layers of 200 units x 5 pieces."""
    cfg = load_config("toy-pacgan")
    G, D = build_networks(cfg)
    assert G.z_dim == 2 and sum(isinstance(m, torch.nn.BatchNorm1d) for m in G.modules()) == 4
    maxouts = [m for m in D.modules() if type(m).__name__ == "MaxoutLinear"]
    assert len(maxouts) == 3 and all(m.out_features == 200 and m.pieces == 5 for m in maxouts)
    assert D(G(torch.randn(10, 2))).shape == (10,)
