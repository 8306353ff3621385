import pytest
import torch

from gankit.nn.blur import blur_sigma_at, gaussian_blur, gaussian_taps


def test_taps_are_a_normalised_gaussian_cut_at_three_sigma():
    """sigma 2 gives 13 taps (radius floor(3 sigma) = 6) that sum to 1 and follow exp(-x^2 / (2 sigma^2))."""
    taps = gaussian_taps(2.0)
    assert taps.shape == (13,)
    torch.testing.assert_close(taps.sum(), torch.tensor(1.0))
    torch.testing.assert_close(taps[6] / taps[8], torch.exp(torch.tensor(0.5)))  # x = 0 against x = 2 = sigma


def test_blur_equals_a_direct_2d_convolution_and_zero_sigma_is_identity():
    """The separable blur equals conv2d with the outer-product kernel and zero padding; sigma 0 leaves images."""
    img = torch.randn(2, 3, 16, 16)
    taps = gaussian_taps(1.5)
    k = taps.ger(taps)
    expected = torch.nn.functional.conv2d(img.flatten(0, 1)[:, None], k[None, None], padding=len(taps) // 2)
    torch.testing.assert_close(gaussian_blur(img, 1.5), expected.view_as(img), rtol=1e-5, atol=1e-6)
    assert gaussian_blur(img, 0.0) is img


@pytest.mark.parametrize(("nimg", "sigma"), [(0, 10.0), (100_000, 5.0), (200_000, 0.0), (300_000, 0.0)])
def test_sigma_fades_linearly_to_zero(nimg, sigma):
    """StyleGAN3-R's schedule: 10 px at the start, half at 100 kimg, none from 200 kimg on."""
    assert blur_sigma_at(nimg, 10.0, 200.0) == pytest.approx(sigma)
