"""bias_act, equalized learning rate, pixel norm and minibatch std against direct computations."""

import math

import pytest
import torch
import torch.nn.functional as F

from gankit.nn.bias_act import bias_act
from gankit.nn.equalized import EqualizedConv2d, EqualizedLinear
from gankit.nn.minibatch_std import MinibatchStd
from gankit.nn.pixel_norm import PixelNorm


def test_bias_act_adds_bias_applies_activation_gain_and_clamp():
    x, b = torch.randn(4, 3, 5, 5), torch.randn(3)
    want = F.leaky_relu(x + b[None, :, None, None], 0.2) * math.sqrt(2)
    torch.testing.assert_close(bias_act(x, b, act="lrelu"), want)
    torch.testing.assert_close(
        bias_act(x, b, act="lrelu", gain=3.0, clamp=0.5), (want / math.sqrt(2) * 3).clamp(-0.5, 0.5)
    )
    torch.testing.assert_close(bias_act(x[:, :, 0, 0], b, act="linear"), x[:, :, 0, 0] + b)


def test_bias_act_names_a_bad_activation_and_bias_shape():
    with pytest.raises(ValueError, match="activation 'gelu2' is not known"):
        bias_act(torch.zeros(1, 2), act="gelu2")
    with pytest.raises(ValueError, match=r"expected \[2\]"):
        bias_act(torch.zeros(1, 2), torch.zeros(3))


@pytest.mark.parametrize("lr_multiplier", [1.0, 0.01])
def test_equalized_linear_scales_weight_at_runtime(lr_multiplier):
    """Effective weight = stored * lr_mul / sqrt(fan_in), so outputs start at unit variance for any lr_mul,
    and the stored weight's gradient is scaled by the same factor (Adam then moves w_eff lr_mul times slower)."""
    torch.manual_seed(0)
    layer = EqualizedLinear(512, 256, lr_multiplier=lr_multiplier)
    x = torch.randn(256, 512)
    y = layer(x)
    assert abs(y.std().item() - 1) < 0.05
    y.square().sum().backward()
    w_eff = (layer.weight * layer.weight_gain).detach().requires_grad_(True)
    F.linear(x, w_eff, layer.bias * layer.bias_gain).square().sum().backward()
    torch.testing.assert_close(layer.weight.grad, w_eff.grad * lr_multiplier / math.sqrt(512))


@pytest.mark.parametrize(("up", "down", "size"), [(1, 1, 8), (2, 1, 16), (1, 2, 4)])
def test_equalized_conv_resamples_and_keeps_unit_variance_without_resampling(up, down, size):
    """Runtime scaling by 1/sqrt(fan_in) gives unit output variance; the low-pass filter of the resampling
    layers lowers the variance of white noise by design, so only the plain layer is checked for it."""
    torch.manual_seed(0)
    conv = EqualizedConv2d(64, 64, 3, activation="linear", up=up, down=down)
    y = conv(torch.randn(8, 64, 8, 8))
    assert y.shape == (8, 64, size, size)
    if up == down == 1:
        assert 0.9 < y[:, :, 1:-1, 1:-1].std().item() < 1.1


def test_pixel_norm_gives_unit_mean_square_per_position():
    y = PixelNorm()(torch.randn(3, 16, 4, 4) * 5)
    torch.testing.assert_close(y.square().mean(dim=1), torch.ones(3, 4, 4), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("group_size", "num_channels"), [(4, 1), (2, 2), (8, 1)])
def test_minibatch_std_matches_a_loop_over_groups(group_size, num_channels):
    """Group g holds samples g, g + N/G, ... (strided); each appended map is the group's std over one channel slice."""
    x = torch.randn(8, 6, 3, 3, dtype=torch.float64)
    y = MinibatchStd(group_size, num_channels)(x)
    assert y.shape == (8, 6 + num_channels, 3, 3)
    G = min(group_size, 8)
    n_groups = 8 // G
    for n in range(8):
        members = x[n % n_groups :: n_groups]
        assert members.shape[0] == G
        std = members.std(dim=0, unbiased=False)  # [C, H, W]
        for f, chunk in enumerate(std.chunk(num_channels, dim=0)):
            torch.testing.assert_close(y[n, 6 + f], torch.full((3, 3), chunk.mean().item(), dtype=torch.float64))
    torch.testing.assert_close(y[:, :6], x)


def test_minibatch_std_refuses_a_batch_not_divisible_by_the_group():
    with pytest.raises(ValueError, match="batch 6 is not a multiple of the group size 4"):
        MinibatchStd(4)(torch.zeros(6, 2, 2, 2))
