import pytest
import torch

from gankit.augment.options import DatasetTransformOptions
from gankit.data.digits import load_digits_dataset
from gankit.data.loader import BatchStream
from gankit.data.transforms import DatasetTransform


def _img(n=64, c=1, size=16):
    return torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(0)) * 2 - 1


def test_draws_are_a_function_of_seed_and_place_in_the_data_order():
    t = DatasetTransform(DatasetTransformOptions(xflip=True, translate_ratio=0.125, brightness=0.2), seed=3)
    img = _img()
    assert torch.equal(t(img, 2, 64), t(img, 2, 64))
    assert not torch.equal(t(img, 2, 64), t(img, 2, 96))
    assert not torch.equal(t(img, 2, 64), DatasetTransform(t.opts, seed=4)(img, 2, 64))


def test_xflip_mirrors_about_half_of_the_images():
    img = _img(n=400)
    out = DatasetTransform(DatasetTransformOptions(xflip=True), seed=0)(img, 0, 0)
    flipped = (out == img.flip(3)).flatten(1).all(dim=1)
    kept = (out == img).flatten(1).all(dim=1)
    assert (flipped | kept).all() and 0.4 < flipped.float().mean() < 0.6


def test_translation_is_a_crop_of_the_replicated_image():
    img = torch.zeros(200, 1, 16, 16)
    img[:, :, 8, 8] = 1.0
    out = DatasetTransform(DatasetTransformOptions(translate_ratio=0.125), seed=0)(img, 0, 0)
    ys, xs = (out[:, 0] == 1).nonzero()[:, 1], (out[:, 0] == 1).nonzero()[:, 2]
    torch.testing.assert_close(out.sum(dim=(1, 2, 3)), torch.ones(200))
    assert (ys - 8).abs().max() == 2 and (xs - 8).abs().max() == 2


@pytest.mark.parametrize("channels", [1, 3])
def test_colour_jitter_stays_in_range(channels):
    opts = DatasetTransformOptions(brightness=0.5, contrast=0.5, saturation=0.5)
    out = DatasetTransform(opts, seed=0)(_img(c=channels), 0, 0)
    assert out.min() >= -1 and out.max() <= 1 and not torch.equal(out, _img(c=channels))


def test_batch_stream_applies_the_transform_and_resumes_it():
    dataset = load_digits_dataset("train", 16)
    t = DatasetTransform(DatasetTransformOptions(xflip=True, translate_ratio=0.125), seed=0)
    a = BatchStream(dataset, 32, seed=0, transform=t)
    for _ in range(50):  # cross an epoch boundary
        a.next()
    b = BatchStream(dataset, 32, seed=0, transform=t)
    b.load_state_dict(a.state_dict())
    assert torch.equal(a.next()[0], b.next()[0])
    plain = BatchStream(dataset, 32, seed=0)
    plain.load_state_dict(a.state_dict())
    assert not torch.equal(a.next()[0], plain.next()[0])
