import numpy as np
import pytest
import torch

from gankit.metrics.ppl import lerp, perceptual_path_length, slerp


class LinearMock:
    """A tiny mapping + synthesis generator: w = A z, images = reshape(B w); all linear, so PPL has a closed form."""

    def __init__(self, z_dim: int = 4, w_dim: int = 3, res: int = 4) -> None:
        gen = torch.Generator().manual_seed(0)
        self.A = torch.randn(w_dim, z_dim, generator=gen)
        self.B = torch.randn(res * res, w_dim, generator=gen)
        self.res = res

    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        return z @ self.A.T  # [N, z_dim] -> [N, w_dim]

    def synthesis(self, w: torch.Tensor) -> torch.Tensor:
        return (w @ self.B.T).view(-1, 1, self.res, self.res)  # [N, w_dim] -> [N, 1, res, res]


def squared_l2(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a - b).pow(2).flatten(1).sum(dim=1)


def test_ppl_in_w_of_a_linear_generator_matches_the_closed_form():
    """Pins eq. 3: with linear g and d = squared L2, d / eps^2 = |B A (z1 - z0)|^2 exactly, then the 1-99% filter."""
    mock = LinearMock()
    ppl = perceptual_path_length(
        mock.mapping, mock.synthesis, squared_l2, z_dim=4, num_samples=200, seed=3, epsilon=1e-2
    )
    gen = torch.Generator().manual_seed(3)
    z0, z1 = torch.randn(200, 4, generator=gen), torch.randn(200, 4, generator=gen)
    values = ((z1 - z0).double() @ mock.A.T.double() @ mock.B.T.double()).pow(2).sum(dim=1).numpy()
    low, high = np.percentile(values, 1, method="lower"), np.percentile(values, 99, method="higher")
    assert ppl == pytest.approx(values[(values >= low) & (values <= high)].mean(), rel=1e-3)


@pytest.mark.parametrize(("space", "sampling"), [("w", "full"), ("z", "end"), ("z", "full")])
def test_ppl_does_not_depend_on_batch_size(space, sampling):
    mock = LinearMock()
    args = dict(z_dim=4, num_samples=100, space=space, sampling=sampling, seed=1, epsilon=1e-2)
    a = perceptual_path_length(mock.mapping, mock.synthesis, squared_l2, batch_size=7, **args)
    b = perceptual_path_length(mock.mapping, mock.synthesis, squared_l2, batch_size=100, **args)
    assert a == pytest.approx(b, rel=1e-5) and a > 0


def test_slerp_and_lerp_end_points():
    a, b = torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0, 3.0]])
    torch.testing.assert_close(slerp(a, b, torch.tensor([0.0])), torch.tensor([[1.0, 0.0]]))
    torch.testing.assert_close(slerp(a, b, torch.tensor([1.0])), torch.tensor([[0.0, 1.0]]), atol=1e-6, rtol=0)
    torch.testing.assert_close(slerp(a, b, torch.tensor([0.5])), torch.tensor([[0.5**0.5, 0.5**0.5]]))
    torch.testing.assert_close(lerp(a, b, torch.tensor([0.5])), torch.tensor([[1.0, 1.5]]))


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"space": "x"}, "space='x'"), ({"num_samples": 50}, "at least 100"), ({"epsilon": 0}, "eps")]
)
def test_ppl_rejects_bad_settings(kwargs, match):
    mock = LinearMock()
    with pytest.raises(ValueError, match=match):
        perceptual_path_length(mock.mapping, mock.synthesis, squared_l2, z_dim=4, **kwargs)
