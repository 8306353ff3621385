import pytest
import torch
import torch.nn.functional as F

from gankit.nn.modulated_conv import modulated_conv2d
from gankit.nn.upfirdn2d import setup_filter, upsample2d


def per_sample_reference(x, weight, styles, demodulate, up, down, padding, f):
    """Eqs. 1-3 of StyleGAN2 one sample at a time with plain conv2d and explicit filtering."""
    out = []
    for n in range(x.shape[0]):
        w = weight * styles[n][None, :, None, None]  # eq. 1
        if demodulate:
            w = w / (w.square().sum(dim=(1, 2, 3), keepdim=True) + 1e-8).sqrt()  # eq. 3
        xn = x[n : n + 1]
        if up > 1:
            out.append(F.conv2d(upsample2d(xn, f, padding=padding), w))
        elif down > 1:
            k = weight.shape[-1]
            filtered = F.pad(xn, [padding + 1] * 4)
            filtered = F.conv2d(
                filtered, f.ger(f).flip([0, 1])[None, None].repeat(xn.shape[1], 1, 1, 1), groups=xn.shape[1]
            )
            out.append(F.conv2d(filtered, w, stride=2) if k > 0 else None)
        else:
            out.append(F.conv2d(xn, w, padding=padding))
    return torch.cat(out)


@pytest.mark.parametrize("impl", ["grouped", "scaled"])
@pytest.mark.parametrize("demodulate", [True, False])
@pytest.mark.parametrize(("up", "down"), [(1, 1), (2, 1), (1, 2)])
def test_grouped_and_scaled_modulated_conv_equal_a_per_sample_loop(impl, demodulate, up, down):
    """Both batched implementations agree with the per-sample definition, with and without resampling."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 4, 8, 8, generator=gen, dtype=torch.float64)
    weight = torch.randn(5, 4, 3, 3, generator=gen, dtype=torch.float64)
    styles = torch.randn(3, 4, generator=gen, dtype=torch.float64) + 1
    f = setup_filter([1, 3, 3, 1]).double()
    got = modulated_conv2d(x, weight, styles, demodulate, up, down, padding=1, resample_filter=f, impl=impl)
    want = per_sample_reference(x, weight, styles, demodulate, up, down, 1, f)
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)


def test_demodulated_conv_of_unit_variance_input_has_unit_variance_output():
    """Weight demodulation (StyleGAN2 eq. 3) restores unit output variance whatever the styles' scale."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(8, 64, 16, 16, generator=gen)
    weight = torch.randn(32, 64, 3, 3, generator=gen)
    styles = torch.rand(8, 64, generator=gen) * 4 + 0.5
    y = modulated_conv2d(x, weight, styles, demodulate=True, padding=1)
    per_channel_std = y[:, :, 1:-1, 1:-1].std(dim=(2, 3))  # [N, O], away from the zero padding
    assert abs(per_channel_std.mean().item() - 1) < 0.05
    assert per_channel_std.min().item() > 0.7 and per_channel_std.max().item() < 1.3


def test_mismatched_styles_are_named():
    with pytest.raises(ValueError, match=r"styles \[2, 3\]"):
        modulated_conv2d(torch.zeros(2, 4, 4, 4), torch.zeros(1, 4, 3, 3), torch.zeros(2, 3))
