"""Gaussian blur of images, as StyleGAN3 config R blurs every image its discriminator sees early in training.

Karras et al. 2021 ("Alias-free generative adversarial networks", appendix C) blur reals and fakes alike
with a Gaussian of sigma 10 px at the start of R training and fade sigma to 0, which keeps the
rotation-equivariant G from learning high frequencies before coarse structure.
"""

import math

import torch

from gankit.nn.upfirdn2d import filter2d, setup_filter


def gaussian_taps(sigma: float) -> torch.Tensor:
    """The 1-D Gaussian of `sigma` pixels, cut at 3 sigma and normalised to sum 1: [2 * floor(3 sigma) + 1]."""
    radius = int(math.floor(3 * sigma))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    return setup_filter(torch.exp(-0.5 * (x / sigma) ** 2))


def gaussian_blur(img: torch.Tensor, sigma: float) -> torch.Tensor:
    """img [N, C, H, W] blurred separably by a Gaussian of `sigma` pixels (zero padding); sigma <= 0: unchanged."""
    if sigma <= 0:
        return img
    return filter2d(img, gaussian_taps(sigma).to(img.device, img.dtype))


def blur_sigma_at(nimg: int, init_sigma: float, fade_kimg: float) -> float:
    """Sigma after `nimg` images: `init_sigma` fading linearly to 0 over `fade_kimg` (0: off at once)."""
    if init_sigma <= 0 or fade_kimg <= 0:
        return 0.0
    return init_sigma * max(0.0, 1.0 - nimg / (fade_kimg * 1000))
