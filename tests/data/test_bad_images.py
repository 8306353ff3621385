"""Bad images in bulk: one message listing every bad file, a resolution-aware pixel limit, clean tensors."""

import io
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data.image_folder import load_image_folder, max_pixels
from gankit.data.loader import BatchStream
from gankit.errors import DataError


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height 8-bit grey pixels, with almost no data: a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def encoded(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def mixed_folder(root: Path) -> tuple[list[str], list[str]]:
    """Write good files of every awkward kind and bad files of every kind; returns (good names, bad names)."""
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees when shown
    rgba = photo.convert("RGBA")
    rgba.putalpha(128)
    good = {
        "cmyk.jpg": encoded(photo.convert("CMYK"), "JPEG"),
        "palette.png": encoded(photo.convert("P"), "PNG"),
        "grey16.png": encoded(Image.fromarray((rng.integers(0, 65535, (30, 30))).astype(np.uint16)), "PNG"),
        "rgba.png": encoded(rgba, "PNG"),
        "grey.png": encoded(photo.convert("L"), "PNG"),
        "exif-rotated.jpg": encoded(photo, "JPEG", exif=exif),
        "huge-but-fine.png": encoded(Image.new("RGB", (700, 300), (10, 200, 30)), "PNG"),
        "tiny.webp": encoded(Image.new("RGB", (3, 5), (200, 0, 0)), "WEBP"),
        "sub/wrong-resolution.png": encoded(photo.resize((17, 9)), "PNG"),
    }
    bad = {
        "truncated.png": encoded(photo, "PNG")[:200],
        "truncated.jpg": encoded(photo, "JPEG")[:300],
        "empty.png": b"",
        "text.png": b"this is not an image\n",
        "bomb.png": png_header_only(12000, 12000),
    }
    for name, data in {**good, **bad}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return sorted(good), sorted(bad)


def test_every_bad_file_is_listed_in_one_message(tmp_path):
    """One DataError before training names each bad file with its reason; good files are not in it."""
    good, bad = mixed_folder(tmp_path)
    with pytest.raises(DataError) as info:
        load_image_folder(tmp_path, resolution=16)
    message = str(info.value)
    assert f"{len(bad)} of {len(good) + len(bad)} image files cannot be decoded" in message
    for name in bad:
        assert re.search(re.escape(f"{tmp_path / name}: cannot decode image ("), message), name
    for name in good:
        assert str(tmp_path / name) not in message
    assert "data.skip_bad: true" in message
    assert "12000x12000 pixels exceed the limit" in message


@pytest.mark.parametrize("channels", [1, 3])
def test_loader_yields_only_the_right_shape_dtype_and_range(tmp_path, channels):
    """With skip_bad, the good files of every kind come out as uint8 [N, C, R, R], and batches as float in [-1, 1]."""
    good, bad = mixed_folder(tmp_path)
    dataset = load_image_folder(tmp_path, resolution=16, channels=channels, skip_bad=True)
    assert dataset.images.shape == (len(good), channels, 16, 16) and dataset.images.dtype == torch.uint8
    assert sorted(Path(p).name for p in dataset.skipped) == sorted(Path(b).name for b in bad)
    stream = BatchStream(dataset, batch_size=4, seed=0)
    for _ in range(5):
        img, labels = stream.next()
        assert img.shape == (4, channels, 16, 16) and img.dtype == torch.float32 and labels is None
        assert img.min() >= -1 and img.max() <= 1 and torch.isfinite(img).all()


def test_pixel_limit_follows_the_target_resolution():
    """The limit is 32x the side (at least 96 MP, so camera photos pass), not Pillow's fixed default."""
    assert max_pixels(16) == 12_000 * 8_000
    assert max_pixels(512) == 1024 * 512 * 512
    assert max_pixels(512) > Image.MAX_IMAGE_PIXELS * 2  # larger than Pillow would allow at any setting


def test_same_large_header_is_refused_at_low_resolution_only(tmp_path):
    """A 12000x12000 header is a bomb for a 16-pixel target, but within the limit for a 512-pixel one."""
    (tmp_path / "big.png").write_bytes(png_header_only(12000, 12000))
    with pytest.raises(DataError, match="exceed the limit of 96000000 for data.resolution=16"):
        load_image_folder(tmp_path, resolution=16)
    with pytest.raises(DataError) as info:  # the header passes; its missing pixel data fails decoding
        load_image_folder(tmp_path, resolution=512)
    assert "exceed the limit" not in str(info.value)
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # Pillow's own setting is restored
