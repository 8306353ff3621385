import numpy as np
import pytest
import scipy.signal
import torch

from gankit.nn.filter_design import jinc_lowpass, kaiser_lowpass
from gankit.nn.filtered_lrelu import filtered_lrelu, filtered_lrelu_output_size
from gankit.nn.upfirdn2d import setup_filter


def _direct(x, bias, fu, fd, up, down, pad, gain, slope, clamp):
    """Reference: explicit zero insertion, padding, full 2-D convolutions and subsampling in NumPy/SciPy."""
    px0, px1, py0, py1 = pad
    fu2 = np.ones((1, 1)) if fu is None else (np.outer(fu, fu) if fu.ndim == 1 else fu)
    fd2 = np.ones((1, 1)) if fd is None else (np.outer(fd, fd) if fd.ndim == 1 else fd)
    N, C, H, W = x.shape
    out = []
    for n in range(N):
        chans = []
        for c in range(C):
            a = x[n, c] + bias[c]
            z = np.zeros((H * up, W * up))
            z[::up, ::up] = a
            z = np.pad(z, ((max(py0, 0), max(py1, 0)), (max(px0, 0), max(px1, 0))))
            z = z[max(-py0, 0) : z.shape[0] - max(-py1, 0), max(-px0, 0) : z.shape[1] - max(-px1, 0)]
            z = scipy.signal.convolve2d(z, fu2 * up * up, mode="valid")
            z = np.where(z >= 0, z, z * slope) * gain
            if clamp is not None:
                z = np.clip(z, -clamp, clamp)
            z = scipy.signal.convolve2d(z, fd2, mode="valid")[::down, ::down]
            chans.append(z)
        out.append(chans)
    return np.array(out)


@pytest.mark.parametrize(
    ("up", "down", "pad", "radial", "clamp"),
    [(2, 2, (3, 4, 3, 4), False, None), (4, 2, (5, 8, 6, 7), False, 0.5), (2, 2, (-1, 6, 5, 2), True, None)],
)
def test_filtered_lrelu_equals_direct_computation(up, down, pad, radial, clamp):
    """The PyTorch composition (polyphase upsampling for 1-D filters, upfirdn2d for 2-D) equals explicit
    upsample/pad/filter/lrelu/filter/downsample, incl. 2-D (radial) filters, asymmetric and negative padding,
    and the clamp."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6))
    bias = rng.standard_normal(3)
    fu = jinc_lowpass(4 * up, 2.0, 3.0, 8.0 * up) if radial else kaiser_lowpass(4 * up, 2.0, 3.0, 8.0 * up)
    fd = jinc_lowpass(4 * down, 3.0, 2.0, 16.0) if radial else kaiser_lowpass(4 * down, 3.0, 2.0, 16.0)
    expected = _direct(x, bias, fu, fd, up, down, pad, np.sqrt(2), 0.2, clamp)
    got = filtered_lrelu(
        torch.tensor(x, dtype=torch.float64),
        torch.tensor(bias, dtype=torch.float64),
        torch.tensor(fu, dtype=torch.float64),
        torch.tensor(fd, dtype=torch.float64),
        up=up,
        down=down,
        padding=pad,
        clamp=clamp,
    )
    torch.testing.assert_close(got, torch.tensor(expected), rtol=1e-9, atol=1e-9)
    fu_t, fd_t = setup_filter(fu), setup_filter(fd)
    assert got.shape[3] == filtered_lrelu_output_size(6, up, down, pad[:2], fu_t, fd_t)
    assert got.shape[2] == filtered_lrelu_output_size(7, up, down, pad[2:], fu_t, fd_t)


def test_filtered_lrelu_without_filters_is_bias_act():
    """No filters, factors 1, slope 1: the to-RGB case reduces to bias * gain with the clamp."""
    x, b = torch.randn(2, 3, 5, 5), torch.randn(3)
    got = filtered_lrelu(x, b, gain=1, slope=1, clamp=0.7)
    torch.testing.assert_close(got, (x + b.reshape(1, 3, 1, 1)).clamp(-0.7, 0.7), rtol=0, atol=0)


def test_filtered_lrelu_rejects_a_wrong_bias():
    """A bias that does not match the channels is named with the expected shape."""
    with pytest.raises(ValueError, match=r"expected \[3\]"):
        filtered_lrelu(torch.randn(1, 3, 4, 4), torch.zeros(4))
