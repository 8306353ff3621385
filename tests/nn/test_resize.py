import pytest
import torch

from gankit.nn.resize import downsample_box, fade_in_detail, resize_images, upsample_nearest


def test_box_downsample_averages_blocks_and_nearest_upsample_repeats_pixels():
    """Downsampling averages k x k boxes, upsampling copies each pixel k x k times, and down(up(x)) == x."""
    img = torch.arange(16.0).reshape(1, 1, 4, 4)
    torch.testing.assert_close(downsample_box(img, 2), torch.tensor([[[[2.5, 4.5], [10.5, 12.5]]]]))
    up = upsample_nearest(img, 8)
    assert torch.equal(up[0, 0, :2, :2], torch.zeros(2, 2)) and torch.equal(up[0, 0, 6:, 6:], torch.full((2, 2), 15.0))
    assert torch.equal(resize_images(resize_images(img, 16), 4), img)


def test_fade_in_detail_blends_the_coarse_copy_into_the_image():
    """During a fade the image is lerp(upsampled 2x coarser copy, image, alpha): the reals' side of PGGAN's fade."""
    img = torch.randn(4, 1, 16, 16)
    coarse = upsample_nearest(downsample_box(img, 8), 16)
    torch.testing.assert_close(fade_in_detail(img, 0.0), coarse, rtol=0, atol=0)
    torch.testing.assert_close(fade_in_detail(img, 0.25), 0.75 * coarse + 0.25 * img, rtol=1e-6, atol=1e-6)
    assert fade_in_detail(img, 1.0) is img


def test_resize_refuses_sizes_that_are_not_a_power_of_two_apart():
    """Only power-of-two factors are exact box or nearest resampling; others are an error."""
    with pytest.raises(ValueError, match="must differ by 2\\*\\*k"):
        resize_images(torch.zeros(1, 1, 12, 12), 4)
