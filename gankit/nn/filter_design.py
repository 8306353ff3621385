"""Low-pass FIR filter design for alias-free resampling (Karras et al. 2021, "Alias-Free Generative
Adversarial Networks", section 3.2 and appendix C), in NumPy.

Two designs, both Kaiser-windowed ideal low-pass filters with a transition band of `width` centred
on `cutoff` (all in the units of the sampling rate `fs`):
- `kaiser_lowpass`: the separable 1-D windowed sinc, h[n] = (2 fc / fs) sinc(2 fc n / fs) w[n]. It
  equals `scipy.signal.firwin(numtaps, cutoff, width=width, fs=fs)`, which the tests check.
- `jinc_lowpass`: the radially symmetric 2-D filter of config R, the ideal disc low-pass
  h(r) = fc J1(2 pi fc r) / r (a "jinc"), windowed by the outer product of the same Kaiser window.

The Kaiser window's beta comes from the attenuation that `numtaps` taps can reach over the
transition band (Kaiser's formulas, Oppenheim & Schafer eqs. 7.62-7.63), as scipy's firwin does.
"""

import numpy as np
import scipy.special


def kaiser_attenuation(numtaps: int, width: float, fs: float) -> float:
    """Stopband attenuation in dB reachable with `numtaps` taps over a transition band `width` (Kaiser)."""
    return 2.285 * (numtaps - 1) * np.pi * (width / (fs / 2)) + 7.95


def kaiser_beta(attenuation_db: float) -> float:
    """The Kaiser window's beta for a stopband attenuation in dB (Kaiser's empirical fit)."""
    a = attenuation_db
    if a > 50:
        return 0.1102 * (a - 8.7)
    if a > 21:
        return 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21)
    return 0.0


def _kaiser_window(numtaps: int, width: float, fs: float) -> np.ndarray:
    return np.kaiser(numtaps, kaiser_beta(kaiser_attenuation(numtaps, width, fs)))


def _check(numtaps: int, cutoff: float, width: float, fs: float) -> None:
    if numtaps < 1 or not 0 < cutoff < fs / 2 or width <= 0:
        raise ValueError(
            f"low-pass design needs numtaps >= 1, 0 < cutoff < fs/2 and width > 0; got numtaps={numtaps}, "
            f"cutoff={cutoff}, width={width}, fs={fs}"
        )


def kaiser_lowpass(numtaps: int, cutoff: float, width: float, fs: float) -> np.ndarray:
    """Kaiser-windowed sinc low-pass, normalized to unit DC gain.

    Args:
        numtaps: filter length.
        cutoff: the -6 dB frequency (centre of the transition band).
        width: width of the transition band.
        fs: sampling rate.

    Returns:
        float64 [numtaps].
    """
    _check(numtaps, cutoff, width, fs)
    n = np.arange(numtaps) - (numtaps - 1) / 2
    c = 2 * cutoff / fs  # cutoff relative to the Nyquist frequency
    h = c * np.sinc(c * n) * _kaiser_window(numtaps, width, fs)
    return h / h.sum()


def jinc_lowpass(numtaps: int, cutoff: float, width: float, fs: float) -> np.ndarray:
    """Radially symmetric 2-D low-pass (windowed jinc) of radius `cutoff`, normalized to unit DC gain.

    Args:
        numtaps: filter size per side.
        cutoff: radius of the pass disc in frequency.
        width: width of the transition band (sets the Kaiser window, as in `kaiser_lowpass`).
        fs: sampling rate.

    Returns:
        float64 [numtaps, numtaps].
    """
    _check(numtaps, cutoff, width, fs)
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    r = np.hypot(*np.meshgrid(x, x))
    safe_r = np.where(r > 0, r, 1.0)
    h = np.where(r > 0, cutoff * scipy.special.j1(2 * np.pi * cutoff * safe_r) / safe_r, np.pi * cutoff**2)
    window = _kaiser_window(numtaps, width, fs)
    h = h * np.outer(window, window)
    return h / h.sum()


def design_lowpass(numtaps: int, cutoff: float, width: float, fs: float, radial: bool = False) -> np.ndarray | None:
    """`kaiser_lowpass` (1-D, applied separably) or `jinc_lowpass` (2-D) when `radial`; None for one tap."""
    if numtaps == 1:
        return None
    return (jinc_lowpass if radial else kaiser_lowpass)(numtaps, cutoff, width, fs)
