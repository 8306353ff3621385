import numpy as np
import pytest
import scipy.signal

from gankit.nn.filter_design import design_lowpass, jinc_lowpass, kaiser_attenuation, kaiser_lowpass


def _response_1d(h: np.ndarray, freqs: np.ndarray, fs: float) -> np.ndarray:
    """|H(f)| of a real FIR filter, evaluated directly from its DTFT."""
    n = np.arange(len(h))
    return np.abs(np.exp(-2j * np.pi * np.outer(freqs, n) / fs) @ h)


@pytest.mark.parametrize(
    ("numtaps", "cutoff", "width", "fs"), [(8, 2.0, 4.6, 16.0), (24, 8.0, 3.0, 64.0), (9, 3, 2, 12)]
)
def test_kaiser_lowpass_equals_scipy_firwin(numtaps, cutoff, width, fs):
    """The windowed sinc is scipy's Kaiser firwin (same taps), including the StyleGAN3 size (4 taps per factor)."""
    expected = scipy.signal.firwin(numtaps, cutoff, width=width, fs=fs)
    np.testing.assert_allclose(kaiser_lowpass(numtaps, cutoff, width, fs), expected, rtol=1e-10, atol=1e-12)


def test_kaiser_lowpass_frequency_response():
    """Passband gain ~1 and stopband attenuation at least Kaiser's predicted level (minus 2 dB)."""
    numtaps, cutoff, width, fs = 48, 8.0, 4.0, 64.0
    h = kaiser_lowpass(numtaps, cutoff, width, fs)
    passband = _response_1d(h, np.linspace(0, cutoff - width / 2, 50), fs)
    stopband = _response_1d(h, np.linspace(cutoff + width / 2, fs / 2, 200), fs)
    atten = kaiser_attenuation(numtaps, width, fs)
    assert atten > 40
    np.testing.assert_allclose(passband, 1.0, atol=10 ** (-(atten - 2) / 20))
    assert 20 * np.log10(stopband.max()) < -(atten - 2)


def test_jinc_lowpass_is_radially_symmetric_with_disc_passband():
    """Config R's 2-D filter: symmetric under 90-degree rotation and transposition, gain ~1 inside the pass
    disc and small outside the stop disc, in every direction (unlike a separable filter's square band)."""
    numtaps, cutoff, width, fs = 32, 4.0, 4.0, 32.0
    h = jinc_lowpass(numtaps, cutoff, width, fs)
    np.testing.assert_allclose(h, h.T, atol=1e-15)
    np.testing.assert_allclose(h, np.rot90(h), atol=1e-15)
    assert abs(h.sum() - 1) < 1e-12
    n = np.arange(numtaps)
    for angle in np.linspace(0, np.pi / 4, 4):
        direction = np.array([np.cos(angle), np.sin(angle)])
        for radius, bound in [(cutoff - width / 2, None), (cutoff + width / 2 + 1, 0.02), (fs / 2 - 1, 0.02)]:
            fx, fy = radius * direction
            phase = np.exp(-2j * np.pi * (fx * n[None, :] + fy * n[:, None]) / fs)
            gain = abs((h * phase).sum())
            if bound is None:
                assert 0.9 < gain < 1.1, (angle, radius, gain)
            else:
                assert gain < bound, (angle, radius, gain)


def test_design_lowpass_returns_none_for_one_tap_and_rejects_bad_cutoffs():
    """One tap means no filtering; a cutoff at or beyond Nyquist is a design error, named in the message."""
    assert design_lowpass(1, 2.0, 1.0, 16.0) is None
    assert design_lowpass(8, 2.0, 1.0, 16.0, radial=True).shape == (8, 8)
    with pytest.raises(ValueError, match="cutoff=8.0"):
        kaiser_lowpass(8, 8.0, 1.0, 16.0)
