import torch

from gankit.nn.spectral_norm import spectral_norm


def test_power_iteration_converges_to_largest_singular_value():
    """After enough training-mode passes the normalized weight has spectral norm 1."""
    layer = spectral_norm(torch.nn.Linear(20, 30))
    for _ in range(50):
        layer(torch.randn(2, 20))
    torch.testing.assert_close(torch.linalg.matrix_norm(layer.weight, ord=2), torch.tensor(1.0), rtol=1e-4, atol=1e-4)


def test_eval_mode_and_reloaded_copy_use_the_same_estimate():
    """u and v are buffers: eval mode does not iterate, and a state-dict copy gives identical outputs."""
    conv = spectral_norm(torch.nn.Conv2d(3, 8, 3))
    x = torch.randn(2, 3, 8, 8)
    conv(x)
    conv.eval()
    out = conv(x)
    torch.testing.assert_close(conv(x), out, rtol=0, atol=0)
    copy = spectral_norm(torch.nn.Conv2d(3, 8, 3))
    copy.load_state_dict(conv.state_dict())
    copy.eval()
    torch.testing.assert_close(copy(x), out, rtol=0, atol=0)
    assert any(k.endswith("parametrizations.weight.0.u") for k in conv.state_dict())


def test_two_forward_passes_before_backward():
    """Regression: real and fake batches go through D before one backward; in-place u/v updates broke autograd."""
    layer = spectral_norm(torch.nn.Linear(5, 3))
    loss = layer(torch.randn(2, 5)).sum() + layer(torch.randn(2, 5)).sum()
    loss.backward()
    assert layer.parametrizations.weight.original.grad is not None


def test_converged_estimate_holds_in_eval_mode_in_an_ema_copy_and_after_a_safetensors_round_trip(tmp_path):
    """The top singular value stays 1 within 1e-3 wherever the layer goes: eval, deepcopy (EMA), save and load."""
    import copy

    from safetensors.torch import load_file, save_file

    torch.manual_seed(0)
    conv = spectral_norm(torch.nn.Conv2d(4, 8, 3))
    for _ in range(100):
        conv(torch.randn(2, 4, 6, 6))

    def sigma(layer):
        return torch.linalg.matrix_norm(layer.weight.flatten(1), ord=2).item()

    assert abs(sigma(conv) - 1) < 1e-3
    conv.eval()
    assert abs(sigma(conv) - 1) < 1e-3
    assert abs(sigma(copy.deepcopy(conv)) - 1) < 1e-3
    save_file({k: v.contiguous() for k, v in conv.state_dict().items()}, tmp_path / "sn.safetensors")
    fresh = spectral_norm(torch.nn.Conv2d(4, 8, 3)).eval()
    fresh.load_state_dict(load_file(tmp_path / "sn.safetensors"))
    assert abs(sigma(fresh) - 1) < 1e-3
