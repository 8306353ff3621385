import torch
from torch import nn

from gankit.losses.penalties import dragan_penalty, gradient_penalty, r1_penalty, r2_penalty


def test_wgan_gp_of_linear_critic_with_gradient_norm_two_is_ten_per_sample():
    """WGAN-GP's lambda (||grad|| - 1)^2 with lambda 10: a critic of gradient norm 2 everywhere costs 10."""
    w = torch.tensor([1.2, -1.6])  # norm 2
    critic = lambda x: x @ w  # noqa: E731
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    gen = torch.Generator().manual_seed(0)
    torch.testing.assert_close(10 * gradient_penalty(critic, real, fake, gen), torch.tensor(10.0))
    torch.testing.assert_close(10 * dragan_penalty(critic, real, gen), torch.tensor(10.0))


def test_gradient_penalty_draws_one_factor_per_sample():
    """The interpolates lie on the segments between paired reals and fakes, each at its own factor."""
    seen = []

    def critic(x):
        seen.append(x.detach())
        return x.sum(dim=(1, 2, 3))

    real, fake = torch.zeros(4, 1, 2, 2), torch.ones(4, 1, 2, 2)
    gradient_penalty(critic, real, fake, torch.Generator().manual_seed(1))
    x_hat = seen[0].reshape(4, 4)
    torch.testing.assert_close(x_hat, x_hat[:, :1].expand(4, 4))  # one factor within a sample
    assert x_hat[:, 0].unique().numel() == 4  # distinct factors across samples


def test_r1_matches_direct_autograd_on_a_tiny_net():
    """R1 equals E ||grad_x D(x)||^2 computed sample by sample with plain autograd."""
    torch.manual_seed(0)
    D = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    real = torch.randn(5, 3, requires_grad=True)
    penalty = r1_penalty(real, D(real).flatten())
    direct = []
    for i in range(5):
        x = real[i : i + 1].detach().requires_grad_(True)
        (g,) = torch.autograd.grad(D(x).sum(), x)
        direct.append(g.square().sum())
    torch.testing.assert_close(penalty, torch.stack(direct).mean(), rtol=1e-6, atol=1e-7)
    penalty.backward()  # the penalty has a graph to D's weights
    assert D[0].weight.grad is not None and D[0].weight.grad.abs().sum() > 0


def test_penalties_take_one_norm_per_packed_logit():
    """With PacGAN packing (2 samples per logit) the norm is over the pair, not per sample."""
    w = torch.tensor([1.0, 0.0, 0.0, 1.0])  # packed critic reads 2 points of 2 coordinates
    critic = lambda x: x.reshape(-1, 4) @ w  # noqa: E731
    fake = torch.randn(6, 2, requires_grad=True)
    torch.testing.assert_close(r2_penalty(fake, critic(fake)), torch.tensor(2.0))  # ||(1, 0, 0, 1)||^2
