import math

import pytest
import torch

from gankit.augment import ADA
from gankit.augment.ada import COLOUR, GEOMETRIC, TRANSFORMS

ALL = {name: 1.0 for name in TRANSFORMS}


def _ada(p, multipliers=None, seed=0, interpolation="bilinear"):
    return ADA(torch.Generator().manual_seed(seed), p, ALL if multipliers is None else multipliers, interpolation)


def _bits(t):
    return t.contiguous().view(torch.int32)


def _images(channels, n=16, size=16, seed=1):
    img = torch.rand(n, channels, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    img[:, :, 0, 0] = -0.0  # signed zeros must survive too
    return img


@pytest.mark.parametrize("channels", [1, 3])
def test_p_zero_is_the_identity_bit_for_bit(channels):
    """p = 0 must leave every image exactly as it was, with every transform enabled."""
    img = _images(channels)
    out = _ada(0.0)(img)
    assert torch.equal(_bits(out), _bits(img))
    pair = _ada(0.0)(img, _images(3, seed=2))
    assert torch.equal(_bits(pair[0]), _bits(img))


@pytest.mark.parametrize("name", TRANSFORMS)
def test_every_transform_changes_images_and_passes_gradients(name):
    img = _images(3).requires_grad_(True)
    out = _ada(1.0, {name: 1.0})(img)
    assert (out != img).flatten(1).any(dim=1).float().mean() > 0.3  # it fires (x-flip and luma flip: half)
    out.square().sum().backward()
    assert torch.isfinite(img.grad).all() and img.grad.abs().sum() > 0


@pytest.mark.parametrize("name", [t for t in TRANSFORMS if t not in ("hue", "saturation")])
def test_grayscale_transforms_change_images(name):
    img = _images(1).requires_grad_(True)
    out = _ada(1.0, {name: 1.0})(img)
    assert (out != img).flatten(1).any(dim=1).any()
    out.sum().backward()
    assert img.grad.abs().sum() > 0


@pytest.mark.parametrize("name", ["hue", "saturation"])
def test_grayscale_skips_hue_and_saturation(name):
    """Hue and saturation leave grey unchanged, so on one channel they are skipped (exactly the identity)."""
    img = _images(1)
    assert torch.equal(_ada(1.0, {name: 1.0})(img), img)


def test_grayscale_luma_flip_inverts():
    img = _images(1)
    out = _ada(1.0, {"lumaflip": 1.0})(img)
    flipped = (out != img).flatten(1).any(dim=1)
    torch.testing.assert_close(out[flipped], -img[flipped], rtol=0, atol=1e-6)
    assert 0 < flipped.sum() < len(img)


def test_colour_on_grey_rgb_matches_grayscale():
    """One channel is the achromatic case of RGB: a grey RGB image and its 1-channel copy transform alike."""
    grey = _images(1)
    out1, out3 = _ada(1.0, {name: 1.0 for name in COLOUR})(grey, grey.repeat(1, 3, 1, 1))
    torch.testing.assert_close(out3, out1.repeat(1, 3, 1, 1), rtol=0, atol=1e-5)


@pytest.mark.parametrize("multipliers", [ALL, {name: 1.0 for name in GEOMETRIC}, {"noise": 1.0, "imgfilter": 1.0}])
def test_pairs_get_the_same_transform(multipliers):
    img = _images(3)
    a, b = _ada(0.7, multipliers, seed=5)(img, img.clone())
    assert torch.equal(a, b)
    single = _ada(0.7, multipliers, seed=5)(img)
    assert torch.equal(single, a)  # a pair draws exactly what a single batch draws


def test_pairs_with_different_channel_counts_stay_aligned():
    """An edge map (1 channel) and its photo (3 channels) get the same warp and cut-out."""
    grey = _images(1)
    geo = {name: 1.0 for name in (*GEOMETRIC, "cutout")}
    out1, out3 = _ada(1.0, geo, seed=3)(grey, grey.repeat(1, 3, 1, 1))
    torch.testing.assert_close(out3, out1.repeat(1, 3, 1, 1), rtol=0, atol=0)


def test_mismatched_pair_shapes_are_refused():
    with pytest.raises(ValueError, match=r"augment input 1 has shape \[4, 3, 8, 8\]"):
        _ada(0.5)(torch.zeros(8, 1, 8, 8), torch.zeros(4, 3, 8, 8))


def _blob(n=8, size=64, sigma=5.0):
    ax = torch.arange(size) - (size - 1) / 2
    g = torch.exp(-(ax[:, None] ** 2 + ax[None, :] ** 2) / (2 * sigma**2))  # [H, W] smooth, zero far out
    return g.expand(n, 1, size, size).clone()


def test_composed_geometric_matrix_equals_its_parts_one_by_one():
    """The single resampling of the composed matrix equals warping by each part in turn (smooth image).

    Zero padding: with reflection, far-out coordinates of the two routes fold back onto different copies.
    """
    ada = _ada(1.0, {name: 1.0 for name in GEOMETRIC}, seed=7, interpolation="bicubic")
    img = _blob()
    n, _, h, w = img.shape
    parts = ada.geometric_parts(n, w, h, img.device)
    assert len(parts) == 8  # x-flip, rotate90, integer shift, scale, rotation, anisotropy, rotation, fraction
    composed = torch.eye(3).expand(n, 3, 3)
    for part in parts:
        composed = composed @ part
    moved = torch.ones(n, dtype=torch.bool)
    one_go = ada.resample([img], composed, moved, padding="zeros")[0]
    step_by_step = img
    for part in parts:
        step_by_step = ada.resample([step_by_step], part, moved, padding="zeros")[0]
    torch.testing.assert_close(one_go, step_by_step, rtol=0, atol=0.04)  # 8 resamplings vs 1: interpolation error
    assert (one_go - img).abs().amax() > 0.5  # the transforms did move the blob
    same_draws = _ada(1.0, {name: 1.0 for name in GEOMETRIC}, seed=7)
    torch.testing.assert_close(same_draws.geometric_matrix(n, w, h, img.device)[0], composed, rtol=0, atol=0)


def test_blits_are_exact_pixel_moves():
    """x-flip, 90-degree rotation and whole-pixel shifts move pixels exactly, in the documented directions."""
    ada = _ada(1.0, {"xflip": 1.0})
    img = torch.arange(2 * 16.0).reshape(1, 2, 4, 4) / 32  # two channels, distinct values
    moved = torch.ones(1, dtype=torch.bool)

    def warp(matrix):
        return ada.resample([img], matrix[None], moved)[0]

    flip = torch.diag(torch.tensor([-1.0, 1.0, 1.0]))
    torch.testing.assert_close(warp(flip), img.flip(3), rtol=0, atol=1e-6)
    rot = torch.tensor([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # sample (x, y) at (-y, x)
    torch.testing.assert_close(warp(rot), torch.rot90(img, 1, dims=(2, 3)), rtol=0, atol=1e-6)
    shift = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # sample one pixel to the right
    torch.testing.assert_close(warp(shift)[..., :3], img[..., 1:], rtol=0, atol=1e-6)


def test_probability_scales_with_p_and_multiplier():
    """Each transform fires with probability p * multiplier (checked on x-flip's firing rate)."""
    n = 20_000
    ada = _ada(0.5, {"cutout": 0.6})
    out = ada(torch.ones(n, 1, 8, 8))
    rate = (out == 0).flatten(1).any(dim=1).float().mean().item()
    assert math.isclose(rate, 0.3, abs_tol=0.015)


def test_state_round_trip_keeps_p():
    ada = _ada(0.25)
    ada.p = torch.tensor(0.3712)
    other = _ada(0.0)
    other.load_state_dict(ada.state_dict())
    assert torch.equal(other.p, ada.p) and other.log_values()["aug_p"].item() == pytest.approx(0.3712)


def test_unknown_transform_name_is_refused():
    with pytest.raises(ValueError, match=r"unknown ADA transforms \['flip'\]"):
        _ada(0.5, {"flip": 1.0})
