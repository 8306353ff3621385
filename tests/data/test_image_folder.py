"""Tests for loading folders and zips of images: order, resizing, broken files and colour modes."""

import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data.image_folder import _to_8bit, load_image_folder
from gankit.errors import ConfigError, DataError

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


def solid(color: tuple[int, int, int], size: tuple[int, int] = (8, 8)) -> Image.Image:
    """A solid RGB image of `size` (width, height)."""
    return Image.new("RGB", size, color)


def noise(shape: tuple[int, ...], seed: int = 0) -> Image.Image:
    """A random uint8 image from an [H, W] or [H, W, C] shape."""
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8))


def save(img: Image.Image, path: Path, **kwargs) -> Path:
    """Save `img` to `path`, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, **kwargs)
    return path


def zip_folder(folder: Path, archive: Path) -> Path:
    """Write every file under `folder` into `archive`, deliberately in reverse order."""
    with zipfile.ZipFile(archive, "w") as zf:
        for file in sorted(folder.rglob("*"), reverse=True):
            if file.is_file():
                zf.write(file, file.relative_to(folder).as_posix())
    return archive


def top_left_colors(images: torch.Tensor) -> list[tuple[int, ...]]:
    """The top-left pixel of every image in uint8 [N, C, H, W], as tuples."""
    return [tuple(int(v) for v in img[:, 0, 0]) for img in images]


def filled(color: tuple[int, ...], height: int, width: int) -> torch.Tensor:
    """uint8 [C, height, width] filled with `color`."""
    return torch.tensor(color, dtype=torch.uint8)[:, None, None].expand(len(color), height, width)


def grid(rows: list[list[tuple[int, ...]]]) -> torch.Tensor:
    """uint8 [C, H, W] from rows of pixel colours."""
    return torch.tensor(rows, dtype=torch.uint8).permute(2, 0, 1)  # [H, W, C] -> [C, H, W]


def assert_mean_color(block: torch.Tensor, color: tuple[int, ...], atol: float) -> None:
    """Check that the mean colour of uint8 [C, H, W] is within `atol` of `color`."""
    mean = block.float().mean(dim=(1, 2))
    torch.testing.assert_close(mean, torch.tensor(color, dtype=torch.float32), rtol=0, atol=atol)


def test_folder_and_zip_give_identical_tensors(tmp_path):
    """A zip of a folder loads exactly as the folder does, whatever the order of the zip entries."""
    folder = tmp_path / "imgs"
    save(noise((20, 30, 3), seed=0), folder / "a.png")
    save(noise((24, 24, 3), seed=1), folder / "sub" / "b.jpg", quality=90)
    save(noise((16, 16, 4), seed=2), folder / "c.webp", lossless=True)
    save(noise((6, 5), seed=3), folder / "d.png")  # upscaled
    archive = zip_folder(folder, tmp_path / "imgs.zip")
    from_folder = load_image_folder(folder, resolution=16)
    from_zip = load_image_folder(archive, resolution=16)
    assert from_folder.images.shape == (4, 3, 16, 16)
    assert from_folder.images.dtype == torch.uint8
    torch.testing.assert_close(from_zip.images, from_folder.images, rtol=0, atol=0)
    assert from_folder.name == f"folder {folder}"
    assert from_zip.name == f"zip {archive}"
    assert from_folder.labels is None and from_folder.num_classes is None
    assert from_folder.skipped == ()


def test_files_are_sorted_by_relative_path(tmp_path):
    """Order is by relative path, not creation time or listing order, so datasets reproduce."""
    save(solid(BLUE), tmp_path / "b.png")
    save(solid(GREEN), tmp_path / "a" / "c.png")
    save(solid(RED), tmp_path / "a.png")
    dataset = load_image_folder(tmp_path, resolution=8)
    assert top_left_colors(dataset.images) == [RED, GREEN, BLUE]  # "a.png" < "a/c.png" < "b.png"


def test_non_images_and_hidden_files_are_ignored(tmp_path):
    """Metadata, hidden files and folders and __MACOSX are skipped; upper-case extensions count."""
    save(solid(RED), tmp_path / "x.PNG")
    save(solid(GREEN), tmp_path / "y.JPEG", quality=95)
    (tmp_path / "dataset.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"broken")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "z.png").write_bytes(b"broken")
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "__MACOSX" / "._x.png").write_bytes(b"broken")
    assert len(load_image_folder(tmp_path, resolution=8)) == 2
    archive = zip_folder(tmp_path, tmp_path.parent / f"{tmp_path.name}.zip")
    assert len(load_image_folder(archive, resolution=8)) == 2


def test_non_square_image_is_resized_then_center_cropped(tmp_path):
    """A 40x20 image with red left and right quarters keeps only its blue middle square."""
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:, :10] = RED
    pixels[:, 10:30] = BLUE
    pixels[:, 30:] = RED
    save(Image.fromarray(pixels), tmp_path / "wide.png")

    # Keep the middle square exactly when no scaling is needed.
    same = load_image_folder(tmp_path, resolution=20).images[0]
    torch.testing.assert_close(same, filled(BLUE, 20, 20), rtol=0, atol=0)

    # Keep only blue inside the border when downscaling (the filter may blend the outer columns).
    small = load_image_folder(tmp_path, resolution=8).images[0]
    assert small.shape == (3, 8, 8)
    torch.testing.assert_close(small[:, :, 1:-1], filled(BLUE, 8, 6), rtol=0, atol=2)


def test_tall_image_keeps_vertical_center(tmp_path):
    """Tall images are cropped at the top and bottom, not at the sides."""
    pixels = np.zeros((40, 10, 3), dtype=np.uint8)
    pixels[:] = RED
    pixels[15:25] = GREEN
    save(Image.fromarray(pixels), tmp_path / "tall.png")
    out = load_image_folder(tmp_path, resolution=10).images[0]
    torch.testing.assert_close(out, filled(GREEN, 10, 10), rtol=0, atol=0)


def _truncated_png(path: Path) -> None:
    buf = io.BytesIO()
    noise((32, 32, 3)).save(buf, "PNG")
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])


BAD_FILES = {
    "truncated.png": _truncated_png,
    "empty.png": lambda path: path.write_bytes(b""),
    "text.jpg": lambda path: path.write_text("this is not a JPEG\n"),
}


@pytest.mark.parametrize("bad_name", sorted(BAD_FILES))
def test_bad_file_raises_data_error_naming_it(tmp_path, bad_name):
    """A truncated, empty or non-image file fails at open time, with its path in the message."""
    save(solid(RED), tmp_path / "good.png")
    BAD_FILES[bad_name](tmp_path / bad_name)
    with pytest.raises(DataError, match=re.escape(f"{tmp_path / bad_name}: cannot decode image")):
        load_image_folder(tmp_path, resolution=8)


def test_bad_file_in_zip_is_named_archive_colon_entry(tmp_path):
    """Errors inside a zip name the archive and the entry, as `archive.zip:inner/path.png`."""
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("inner/path.png", b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(DataError, match=re.escape(f"{archive}:inner/path.png")):
        load_image_folder(archive, resolution=8)


def test_skip_bad_collects_bad_files(tmp_path):
    """With skip_bad, bad files are left out and listed in `skipped`; good ones keep their order."""
    save(solid(RED), tmp_path / "a.png")
    for name, make in BAD_FILES.items():
        make(tmp_path / name)
    save(solid(BLUE), tmp_path / "z.png")
    dataset = load_image_folder(tmp_path, resolution=8, skip_bad=True)
    assert top_left_colors(dataset.images) == [RED, BLUE]
    assert dataset.skipped == tuple(str(tmp_path / name) for name in sorted(BAD_FILES))
    assert "3 bad files skipped" in dataset.describe()


def test_skip_bad_with_only_bad_files_raises(tmp_path):
    """skip_bad never returns an empty dataset."""
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(DataError, match="all 1 image files are unreadable"):
        load_image_folder(tmp_path, resolution=8, skip_bad=True)


def test_max_images_keeps_the_first_good_images(tmp_path):
    """max_images counts decodable images in file order; a skipped file does not use up a slot."""
    save(solid(RED), tmp_path / "a.png")
    (tmp_path / "b.png").write_bytes(b"")
    save(solid(GREEN), tmp_path / "c.png")
    save(solid(BLUE), tmp_path / "d.png")
    dataset = load_image_folder(tmp_path, resolution=8, skip_bad=True, max_images=2)
    assert top_left_colors(dataset.images) == [RED, GREEN]
    assert dataset.skipped == (str(tmp_path / "b.png"),)


def test_empty_folder_names_path_and_extensions(tmp_path):
    """A folder without images says where it looked and which extensions count."""
    (tmp_path / "readme.txt").write_text("no images here")
    expected = re.escape(f"{tmp_path}: no images found; expected files ending in .png, .jpg, .jpeg, .webp")
    with pytest.raises(DataError, match=expected):
        load_image_folder(tmp_path, resolution=8)


def test_missing_path_names_it(tmp_path):
    """A path that does not exist is reported by name, not as an empty dataset."""
    missing = tmp_path / "nope"
    with pytest.raises(DataError, match=re.escape(f"{missing}: no such file or folder")):
        load_image_folder(missing, resolution=8)


def test_16_bit_grayscale_is_scaled_not_clipped(tmp_path):
    """16-bit grey maps 65535 -> 255 and 32768 -> 128, where Pillow's convert('L') clips to 255."""
    Image.fromarray(np.array([[0, 32768], [65535, 1000]], dtype=np.uint16)).save(tmp_path / "deep.png")
    with Image.open(tmp_path / "deep.png") as stored:
        assert stored.mode == "I;16"
    gray = load_image_folder(tmp_path, resolution=2, channels=1).images[0]
    torch.testing.assert_close(gray, torch.tensor([[[0, 128], [255, 4]]], dtype=torch.uint8))
    rgb = load_image_folder(tmp_path, resolution=2, channels=3).images[0]
    torch.testing.assert_close(rgb, gray.expand(3, 2, 2))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([[0.0, 0.5], [1.0, 0.25]], [[0, 128], [255, 64]]),
        ([[0.0, 127.6], [255.0, 300.0]], [[0, 128], [255, 255]]),
    ],
    ids=["unit-range", "byte-range"],
)
def test_float_mode_reads_unit_or_byte_range(values, expected):
    """Mode 'F' with max <= 1 is scaled by 255; otherwise it is read as [0, 255] and clipped."""
    out = _to_8bit(Image.fromarray(np.array(values, dtype=np.float32)))
    assert out.mode == "L"
    np.testing.assert_array_equal(np.asarray(out), np.array(expected, dtype=np.uint8))


def test_palette_png_keeps_its_colours(tmp_path):
    """Palette images come out in their palette colours, and a transparent index becomes white."""
    img = Image.new("P", (2, 2))
    img.putpalette([*RED, *GREEN, *BLUE, 10, 20, 30] + [0] * (256 - 4) * 3)
    img.putdata([0, 1, 2, 3])
    img.save(tmp_path / "opaque.png")
    img.save(tmp_path / "transparent.png", transparency=0)
    opaque, transparent = load_image_folder(tmp_path, resolution=2).images
    torch.testing.assert_close(opaque, grid([[RED, GREEN], [BLUE, (10, 20, 30)]]), rtol=0, atol=0)
    torch.testing.assert_close(transparent, grid([[WHITE, GREEN], [BLUE, (10, 20, 30)]]), rtol=0, atol=0)


def test_alpha_is_composited_over_white(tmp_path):
    """RGBA alpha 0 becomes white and half alpha blends halfway; LA does the same in grey."""
    rgba = [[(0, 0, 0, 0), (255, 0, 0, 255)], [(255, 0, 0, 128), (0, 0, 255, 255)]]
    Image.fromarray(np.array(rgba, dtype=np.uint8)).save(tmp_path / "a_rgba.png")
    la = [[(0, 0), (0, 255)], [(100, 255), (0, 128)]]
    Image.fromarray(np.array(la, dtype=np.uint8)).save(tmp_path / "b_la.png")
    rgb_out, la_out = load_image_folder(tmp_path, resolution=2).images
    torch.testing.assert_close(rgb_out, grid([[WHITE, RED], [(255, 127, 127), BLUE]]), rtol=0, atol=1)
    gray_out = load_image_folder(tmp_path, resolution=2, channels=1).images[1]
    torch.testing.assert_close(gray_out, grid([[(255,), (0,)], [(100,), (127,)]]), rtol=0, atol=1)
    torch.testing.assert_close(la_out, gray_out.expand(3, 2, 2))


def test_cmyk_jpeg_comes_out_in_its_rgb_colour(tmp_path):
    """A CMYK JPEG is converted to RGB close to the colour it was made from (JPEG loses a little)."""
    intended = (200, 60, 120)
    solid(intended, (16, 16)).convert("CMYK").save(tmp_path / "cmyk.jpg", quality=95)
    with Image.open(tmp_path / "cmyk.jpg") as stored:
        assert stored.mode == "CMYK"
    assert_mean_color(load_image_folder(tmp_path, resolution=16).images[0], intended, atol=6.0)


@pytest.mark.parametrize(("orientation", "corner"), [(6, "top-right"), (8, "bottom-left")])
def test_exif_orientation_is_applied(tmp_path, orientation, corner):
    """A marker stored top-left lands where EXIF puts it: top-right for 6, bottom-left for 8."""
    pixels = np.full((32, 32, 3), BLUE, dtype=np.uint8)
    pixels[:16, :16] = RED
    img = Image.fromarray(pixels)
    exif = img.getexif()
    exif[0x0112] = orientation  # the EXIF Orientation tag
    img.save(tmp_path / "rotated.jpg", quality=95, exif=exif)
    out = load_image_folder(tmp_path, resolution=32).images[0]
    quadrants = {
        "top-left": out[:, 2:14, 2:14],
        "top-right": out[:, 2:14, 18:30],
        "bottom-left": out[:, 18:30, 2:14],
        "bottom-right": out[:, 18:30, 18:30],
    }
    for name, block in quadrants.items():
        assert_mean_color(block, RED if name == corner else BLUE, atol=8.0)


def test_large_jpeg_decoded_at_reduced_scale_keeps_the_picture(tmp_path):
    """The libjpeg reduced-scale decode of a big JPEG still gives the centred, cropped picture."""
    pixels = np.full((200, 400, 3), RED, dtype=np.uint8)
    pixels[:, 100:300] = GREEN
    pixels[:100, 100:200] = BLUE
    save(Image.fromarray(pixels), tmp_path / "big.jpg", quality=95)
    out = load_image_folder(tmp_path, resolution=16).images[0]
    assert_mean_color(out[:, 2:6, 2:6], BLUE, atol=8.0)
    assert_mean_color(out[:, 10:14, 10:14], GREEN, atol=8.0)


def test_channels_one_gives_luma(tmp_path):
    """channels=1 gives one ITU-R 601 luma channel."""
    save(solid((200, 100, 50)), tmp_path / "a.png")
    out = load_image_folder(tmp_path, resolution=4, channels=1).images
    assert out.shape == (1, 1, 4, 4)
    luma = round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)
    torch.testing.assert_close(out, torch.full((1, 1, 4, 4), luma, dtype=torch.uint8), rtol=0, atol=1)


@pytest.mark.parametrize("channels", [0, 2, 4])
def test_invalid_channels_raises_config_error(tmp_path, channels):
    """Only 1 or 3 channels are accepted, and the error names data.channels."""
    save(solid(RED), tmp_path / "a.png")
    with pytest.raises(ConfigError, match=rf"data\.channels={channels}"):
        load_image_folder(tmp_path, resolution=8, channels=channels)


def test_zip_of_a_format_version_python_cannot_read_is_a_data_error(tmp_path):
    """Regression (found by the fuzz test): zipfile raises NotImplementedError for an unknown format version."""
    archive = tmp_path / "new.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        buffer = io.BytesIO()
        Image.new("L", (8, 8)).save(buffer, format="PNG")
        zf.writestr("a.png", buffer.getvalue())
    data = bytearray(archive.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 6 : central + 8] = (64).to_bytes(2, "little")  # "version needed to extract": 6.4
    archive.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"new.zip: cannot open the zip file \(zip file version 6.4\)"):
        load_image_folder(archive, resolution=8)
