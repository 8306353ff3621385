import pytest
import torch

from gankit.losses.path_length import path_length_penalty
from gankit.models.mapping import mix_styles, truncate
from gankit.models.stylegan2 import StyleGAN2Discriminator, StyleGAN2Generator


def tiny_g(resolution=8, channels=1, **kwargs):
    torch.manual_seed(0)
    return StyleGAN2Generator(resolution, channels, z_dim=16, w_dim=16, width=8, max_width=16, **kwargs)


@pytest.mark.parametrize("resolution", [4, 8, 16])
@pytest.mark.parametrize("channels", [1, 3])
def test_generator_and_discriminator_agree_at_every_resolution(resolution, channels):
    G = tiny_g(resolution, channels)
    D = StyleGAN2Discriminator(resolution, channels, width=8, max_width=16)
    img = G(torch.randn(4, 16))
    assert img.shape == (4, channels, resolution, resolution)
    assert G.num_ws == 2 * resolution.bit_length() - 4  # 2 * log2(R) - 2
    assert D(img).shape == (4,)


@pytest.mark.parametrize("impl", ["grouped", "scaled"])
def test_gradients_reach_every_parameter(impl):
    """No dead branch: every G and D parameter (noise strengths, toRGB, skips) gets a gradient."""
    G = tiny_g(16, modconv_impl=impl)
    D = StyleGAN2Discriminator(16, 1, width=8, max_width=16)
    D(G(torch.randn(4, 16))).sum().backward()
    missing = [n for n, p in [*G.named_parameters(), *D.named_parameters()] if p.grad is None]
    assert not missing, missing


def test_grouped_and_scaled_generators_give_the_same_images():
    a, b = tiny_g(16, modconv_impl="grouped").eval(), tiny_g(16, modconv_impl="scaled").eval()
    b.load_state_dict(a.state_dict())
    z = torch.randn(3, 16)
    torch.testing.assert_close(a(z), b(z), rtol=1e-4, atol=1e-5)


def test_style_mixing_changes_only_layers_past_the_crossover():
    """Every sample's ws equal the first latent's before its crossover and the second one's after it."""
    gen = torch.Generator().manual_seed(0)
    ws, ws_other = torch.randn(200, 6, 4), torch.randn(200, 6, 4)
    mixed = mix_styles(ws, ws_other, prob=0.9, generator=gen)
    from_first = (mixed == ws).all(dim=2)  # [N, num_ws]
    assert (mixed == ws_other).all(dim=2).logical_xor(from_first).all()
    crossover = from_first.sum(dim=1)  # layers kept from the first latent
    assert torch.equal(from_first, torch.arange(6)[None] < crossover[:, None])  # a prefix, then the other latent
    assert (crossover >= 1).all()
    assert 0.8 < (crossover < 6).float().mean().item() < 0.97  # mixing probability 0.9


def test_training_forward_mixes_and_is_repeatable_from_the_generator():
    """In training mode G mixes styles and draws noise from the passed generator, so equal seeds give equal images."""
    G = tiny_g(8, mixing_prob=1.0)
    z = torch.randn(4, 16)
    a = G(z, generator=torch.Generator().manual_seed(3))
    b = G(z, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    ws = G.map_styles(z, generator=torch.Generator().manual_seed(3))
    plain = G.mapping(z)
    assert torch.equal(ws[:, 0], plain[:, 0]) and not torch.equal(ws, plain)


def test_w_avg_tracks_w_in_training_mode_only():
    G = tiny_g(8)
    G(torch.randn(8, 16))
    w_avg = G.mapping.w_avg.clone()
    assert w_avg.abs().sum() > 0
    G.eval()(torch.randn(8, 16))
    assert torch.equal(G.mapping.w_avg, w_avg)


def test_w_avg_moves_once_per_training_call_even_when_mixing():
    """Regression: the style-mixing latent also updated w_avg, so it moved twice per call (decay beta**2)."""
    G = tiny_g(8, mixing_prob=1.0)
    z = torch.randn(8, 16)
    G(z, generator=torch.Generator().manual_seed(0))
    w = G.mapping.eval()(z)[:, 0]  # eval: no update
    torch.testing.assert_close(G.mapping.w_avg, (1 - G.mapping.w_avg_beta) * w.mean(dim=0))


def test_truncation_psi_one_is_identity_and_zero_gives_the_average_w_image():
    G = tiny_g(8).train()
    G(torch.randn(64, 16))  # fill w_avg
    G.eval()
    z = torch.randn(5, 16)
    torch.testing.assert_close(G(z, truncation_psi=1.0), G(z), rtol=0, atol=0)
    avg_img = G.synthesis(G.mapping.w_avg.reshape(1, 1, -1).repeat(1, G.num_ws, 1))
    torch.testing.assert_close(G(z, truncation_psi=0.0), avg_img.expand(5, -1, -1, -1), rtol=1e-5, atol=1e-6)


def test_truncation_cutoff_leaves_later_layers_alone():
    ws, w_avg = torch.randn(2, 6, 4), torch.randn(4)
    out = truncate(ws, w_avg, 0.5, cutoff=2)
    torch.testing.assert_close(out[:, :2], w_avg + 0.5 * (ws[:, :2] - w_avg))
    assert torch.equal(out[:, 2:], ws[:, 2:])


def test_eval_samples_do_not_depend_on_the_batch():
    """Eval mode uses the constant noise buffers, so a sample is the same alone or in a batch."""
    G = tiny_g(8).eval()
    z = torch.randn(6, 16)
    torch.testing.assert_close(G(z)[:2], G(z[:2]), rtol=1e-5, atol=1e-6)


def test_path_length_penalty_equals_a_direct_jacobian_computation():
    """StyleGAN2 eq. 4: ||J_w^T y|| from autograd.grad equals the full Jacobian contracted with y, per sample."""
    G = tiny_g(4).double().eval()
    ws = G.mapping(torch.randn(3, 16, dtype=torch.float64)).detach().requires_grad_(True)
    img = G.synthesis(ws, noise_mode="none")
    pl_mean = torch.tensor(0.3, dtype=torch.float64)
    penalty, lengths, new_mean = path_length_penalty(img, ws, pl_mean, 0.01, torch.Generator().manual_seed(5))
    y = torch.randn(img.shape, generator=torch.Generator().manual_seed(5)).to(img) / 4  # y / sqrt(H * W)
    want = []
    for n in range(3):
        jac = torch.autograd.functional.jacobian(lambda w: G.synthesis(w[None], noise_mode="none")[0], ws[n].detach())
        jty = torch.einsum("chw,chwkd->kd", y[n], jac)  # J^T y: [num_ws, w_dim]
        want.append(jty.square().sum(dim=1).mean().sqrt())  # averaged over the num_ws copies of w
    want = torch.stack(want)
    torch.testing.assert_close(lengths, want, rtol=1e-9, atol=1e-9)
    want_mean = 0.3 + 0.01 * (want.mean() - 0.3)
    torch.testing.assert_close(new_mean, want_mean)
    torch.testing.assert_close(penalty, (want - want_mean).square().mean())


def test_resolution_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="power-of-two resolution >= 4, got 12"):
        StyleGAN2Generator(12, 1)
