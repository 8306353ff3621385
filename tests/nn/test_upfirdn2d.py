import pytest
import torch
import torch.nn.functional as F

from gankit.nn.conv2d_resample import conv2d_resample
from gankit.nn.upfirdn2d import downsample2d, filter2d, setup_filter, upfirdn2d, upsample2d


def reference_upfirdn2d(x, f2d, up, down, pad, flip_filter=False, gain=1.0):
    """The definition spelled out: zero insertion by slicing, explicit padding, a true convolution
    tap by tap, then keeping every down-th sample."""
    N, C, H, W = x.shape
    x0, x1, y0, y1 = pad
    upsampled = torch.zeros(N, C, H * up, W * up, dtype=x.dtype)
    upsampled[:, :, ::up, ::up] = x
    h_pad, w_pad = H * up + max(y0, 0) + max(y1, 0), W * up + max(x0, 0) + max(x1, 0)
    padded = torch.zeros(N, C, h_pad, w_pad, dtype=x.dtype)
    padded[:, :, max(y0, 0) : max(y0, 0) + H * up, max(x0, 0) : max(x0, 0) + W * up] = upsampled
    padded = padded[:, :, max(-y0, 0) : h_pad - max(-y1, 0), max(-x0, 0) : w_pad - max(-x1, 0)]
    fh, fw = f2d.shape
    k = f2d if flip_filter else f2d.flip([0, 1])  # correlation taps
    out_h, out_w = padded.shape[2] - fh + 1, padded.shape[3] - fw + 1
    out = torch.zeros(N, C, out_h, out_w, dtype=x.dtype)
    for a in range(fh):
        for b in range(fw):
            out += k[a, b] * padded[:, :, a : a + out_h, b : b + out_w]
    return out[:, :, ::down, ::down] * gain


@pytest.mark.parametrize("separable", [True, False])
@pytest.mark.parametrize(
    ("up", "down", "pad"),
    [(1, 1, (0, 0, 0, 0)), (2, 1, (2, 1, 2, 1)), (1, 2, (1, 1, 1, 1)), (3, 2, (1, 2, 0, 3)), (2, 2, (-1, 2, 1, -2))],
)
def test_upfirdn2d_equals_explicit_upsample_pad_filter_downsample(separable, up, down, pad):
    """upfirdn2d matches the definition for asymmetric filters (so a flip mistake shows), crops and odd factors."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 7, 6, generator=gen, dtype=torch.float64)
    taps = torch.tensor([1.0, 2.0, 5.0, 3.0], dtype=torch.float64)
    f = taps if separable else torch.randn(3, 4, generator=gen, dtype=torch.float64)
    f2d = f.ger(f) if separable else f
    got = upfirdn2d(x, f.to(torch.float64), up=up, down=down, padding=pad, gain=1.5)
    torch.testing.assert_close(got, reference_upfirdn2d(x, f2d, up, down, pad, gain=1.5), rtol=1e-10, atol=1e-10)


def test_flip_filter_gives_a_correlation():
    x = torch.randn(1, 2, 5, 5, dtype=torch.float64)
    f = torch.tensor([[1.0, 2.0], [0.5, 3.0]], dtype=torch.float64)
    got = upfirdn2d(x, f, padding=1, flip_filter=True)
    torch.testing.assert_close(got, reference_upfirdn2d(x, f, 1, 1, (1, 1, 1, 1), flip_filter=True))


def test_resampling_helpers_keep_shapes_and_constants():
    """Filtered up/down/plain filtering give the nominal sizes and keep a constant image constant away from borders."""
    f = setup_filter([1, 3, 3, 1])
    x = torch.full((1, 2, 8, 8), 0.7)
    up, down, same = upsample2d(x, f), downsample2d(x, f), filter2d(x, f)
    assert up.shape == (1, 2, 16, 16) and down.shape == (1, 2, 4, 4) and same.shape == (1, 2, 8, 8)
    for y in (up, down, same):
        torch.testing.assert_close(y[:, :, 2:-2, 2:-2], torch.full_like(y[:, :, 2:-2, 2:-2], 0.7))


def test_setup_filter_normalizes_the_outer_product():
    f = setup_filter([1, 3, 3, 1])
    assert f.shape == (4,)
    torch.testing.assert_close(f.ger(f).sum(), torch.tensor(1.0))
    assert setup_filter([1, 2, 1], separable=False).shape == (3, 3)


@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("groups", [1, 2])
def test_transposed_upsampling_conv_equals_upsample_then_conv(k, groups):
    """The fast up path (transposed conv, then FIR) equals upsampling the padded map and a valid convolution."""
    f = setup_filter([1, 3, 3, 1]).double()
    x = torch.randn(2, 4, 5, 6, dtype=torch.float64)
    w = torch.randn(6, 4 // groups, k, k, dtype=torch.float64)
    p = k // 2
    got = conv2d_resample(x, w, f, up=2, padding=p, groups=groups)
    want = F.conv2d(upsample2d(x, f, padding=p), w, groups=groups)
    assert got.shape == (2, 6, 10, 12)
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("k", [1, 3])
def test_strided_downsampling_conv_equals_filter_then_strided_conv(k):
    f = setup_filter([1, 3, 3, 1]).double()
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    w = torch.randn(5, 3, k, k, dtype=torch.float64)
    p = k // 2
    pad = (p + 1, p + 1, p + 1, p + 1)  # (fw - down + 1) // 2 = (fw - down) // 2 = 1 for a 4-tap filter
    want = F.conv2d(reference_upfirdn2d(x, f.ger(f), 1, 1, pad), w, stride=2)
    got = conv2d_resample(x, w, f, down=2, padding=p)
    assert got.shape == (2, 5, 4, 4)
    torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-10)


def test_up_and_down_together_is_refused():
    with pytest.raises(NotImplementedError, match="up=2 and down=2"):
        conv2d_resample(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 3, 3), setup_filter([1, 1]), up=2, down=2)
