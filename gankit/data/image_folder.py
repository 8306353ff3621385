"""Any folder or zip of images, decoded in full into an in-memory uint8 dataset.

Every file is decoded when the dataset is opened, so a broken file stops the run before training
starts, with a message naming it. Each image is brought to true colours and orientation, then
resized and center-cropped to a square:

- Orientation: the EXIF orientation tag is applied (`ImageOps.exif_transpose`).
- Transparency ('RGBA', 'LA', 'PA', palettes or grey with a transparent colour): composited over
  white, as a viewer shows it on a white page.
- 16-bit grey ('I;16', 'I;16B', 'I;16L', 'I'): scaled as round(value * 255 / 65535); Pillow's own
  convert('L') clips these values at 255 instead. Mode 'I' is taken to hold 16-bit samples, which
  is how Pillow decodes 16-bit PNG and TIFF files; values outside [0, 65535] are clipped.
- Float ('F'), per image: if the largest finite value is at most 1.0 the image is read as [0, 1]
  and multiplied by 255, otherwise it is read as [0, 255]. Then values are clipped to [0, 255]
  and NaN becomes 0.
- CMYK, YCbCr, RGBX, 1-bit and the rest: Pillow's conversion to RGB or L. Grayscale output is
  ITU-R 601 luma.
- Size: the image is scaled so that its shorter side equals the resolution, with Lanczos
  (antialiased at any scale factor), and the center square is kept. Both happen in one
  `Image.resize(box=...)` call, so the crop is centred exactly, in source pixels. JPEGs at least
  twice the target size are first decoded by libjpeg at 1/2, 1/4 or 1/8 scale (`Image.draft`),
  which keeps the shorter side at or above the resolution and makes large photos much faster.
- Multi-frame files (animated WebP, APNG) give their first frame.
- Size limit: a file of more than `max_pixels(resolution)` pixels (width x height from its header)
  is refused before any pixel is decoded, as a likely decompression bomb. The limit follows the
  target resolution: 32 times its side (1024 times its area), and at least 96 million pixels
  (12,000 x 8,000, more than any camera photo), in place of Pillow's fixed default of about 89 million.

Every bad file is collected first, so one error lists all of them, each with its reason.
"""

import io
import os
import struct
import sys
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from PIL import Image, ImageOps
from tqdm import tqdm

from gankit.data.dataset import ImageDataset
from gankit.data.labels import LABELS_FILE, Labels, LabelSource, labels_from_folders, parse_labels_file
from gankit.errors import ConfigError, DataError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")

# What Pillow raises for unreadable data: truncated or corrupt streams, unknown formats (an
# UnidentifiedImageError is an OSError), oversized images, unsupported mode conversions. Errors in
# zip entries are turned into OSError when the entry is read.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    zlib.error,
    Image.DecompressionBombError,
)


MIN_PIXEL_LIMIT = 12_000 * 8_000  # 96 MP: room for any camera photo; a bomb is far larger


def max_pixels(resolution: int) -> int:
    """The most pixels (width x height) a source image may have for this target resolution."""
    return max(MIN_PIXEL_LIMIT, 1024 * resolution * resolution)


@contextmanager
def _pixel_limit(limit: int) -> Iterator[None]:
    """Make Pillow's own open-time bomb check use `limit` (it errors above twice it); restored afterwards."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = limit
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # _decode raises its own error
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def load_image_folder(
    path: str | os.PathLike,
    resolution: int,
    channels: int = 3,
    skip_bad: bool = False,
    max_images: int | None = None,
    progress: bool = True,
    labels: LabelSource = "auto",
) -> ImageDataset:
    """Load every image of a folder (searched recursively) or of a .zip file.

    Files ending in .png, .jpg, .jpeg or .webp (any case) are images. Other files, hidden files and
    folders (names starting with '.') and `__MACOSX` folders are ignored. Files are taken in the
    order of their relative paths, so a folder and a zip of it give the same dataset. The module
    docstring gives the colour and resize rules.

    Args:
        path: a folder of images or a .zip file of images.
        resolution: side length of the square output images, in pixels.
        channels: 1 for grayscale or 3 for RGB.
        skip_bad: skip files that cannot be decoded and list them in `ImageDataset.skipped`,
            instead of raising.
        max_images: keep only the first this many decodable images, in file order; None keeps all.
        progress: show a progress bar while decoding, when stderr is a terminal.
        labels: where labels come from (`gankit.data.labels`): "auto" reads `dataset.json` at the
            root when there is one, "file" requires it, "folders" takes each image's top-level
            sub-folder as its class, "none" loads no labels.

    Returns:
        An ImageDataset with uint8 images [N, channels, resolution, resolution] in [0, 255] and
        their labels (int64 [N] classes or float32 [N, D] vectors), or no labels.

    Raises:
        ConfigError: `channels`, `resolution` or `max_images` has an unsupported value.
        DataError: the path is missing or is not a folder or zip, it holds no images, files
            cannot be decoded (unless `skip_bad`; the message lists every one), or every file is bad.
    """
    # Validate the arguments before touching any file.
    if channels not in (1, 3) or isinstance(channels, bool):
        raise ConfigError(f"data.channels={channels!r} is not supported; choose 1 (grayscale) or 3 (RGB)")
    if not _is_positive_int(resolution):
        raise ConfigError(f"data.resolution={resolution!r} is not supported; expected a positive integer")
    if max_images is not None and not _is_positive_int(max_images):
        raise ConfigError(f"data.max_images={max_images!r} is not supported; expected a positive integer or null")
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder; data.path must be a folder or a .zip of images")

    # List the image files and decode them in order.
    with _open_source(path) as (kind, names, read), _pixel_limit(max_pixels(resolution)):
        if not names:
            inside = "in the folder or its sub-folders" if kind == "folder" else "in the zip"
            raise DataError(
                f"{path}: no images found; expected files ending in {', '.join(IMAGE_EXTENSIONS)} (any case) {inside}"
            )
        try:
            found, label_error = _read_labels(path, kind, names, read, labels), None
        except DataError as exc:  # reported together with the bad images, in one message
            found, label_error = None, exc
        capacity = len(names) if max_images is None else min(len(names), max_images)
        images = np.empty((capacity, channels, resolution, resolution), dtype=np.uint8)
        kept_names: list[str] = []
        skipped: list[str] = []
        reasons: list[str] = []
        show = progress and sys.stderr.isatty()
        for name in tqdm(names, desc=f"decoding {path.name}", unit="img", disable=not show, leave=False):
            if len(kept_names) == capacity:
                break
            try:
                with read(name) as fp:
                    pixels = _decode(fp, resolution, channels)
            except _DECODE_ERRORS as exc:
                where = f"{path}:{name}" if kind == "zip" else str(path / name)
                skipped.append(where)
                reasons.append(f"  {where}: cannot decode image ({type(exc).__name__}: {exc})")
                continue
            images[len(kept_names)] = pixels
            kept_names.append(name)

    # Report every bad file at once, unless they are to be skipped.
    report = []
    if reasons and not skip_bad:
        report.append(
            f"{path}: {len(reasons)} of {len(kept_names) + len(reasons)} image files cannot be decoded:\n"
            + "\n".join(reasons)
            + "\nfix or remove them, or set data.skip_bad: true to skip unreadable files"
        )
    if label_error is not None:
        report.append(str(label_error))
    if report:
        raise DataError("\n".join(report))

    # Check that something is left.
    if not kept_names:
        raise DataError(
            f"{path}: all {len(skipped)} image files are unreadable (first: {skipped[0]}); "
            "check the files or point data.path at another dataset"
        )
    if len(kept_names) < capacity:
        images = images[: len(kept_names)].copy()  # free the slots reserved for skipped files

    # Keep the labels of the kept images.
    values, num_classes = None, None
    if found is not None:
        position = {name: i for i, name in enumerate(names)}
        values = found.values[[position[n] for n in kept_names]]
        num_classes = found.num_classes
    return ImageDataset(
        images=torch.from_numpy(images),
        labels=values,
        num_classes=num_classes,
        name=f"{kind} {path}",
        skipped=tuple(skipped),
    )


def _read_labels(path: Path, kind: str, names: list[str], read, source: LabelSource) -> Labels | None:
    """The labels of `names` from the source `data.labels` names, or None."""
    if source == "none":
        return None
    if source == "folders":
        return labels_from_folders(names, str(path))
    where = f"{path}:{LABELS_FILE}" if kind == "zip" else str(path / LABELS_FILE)
    try:
        with read(LABELS_FILE) as fp:
            raw = fp.read()
    except (FileNotFoundError, KeyError):
        if source == "file":
            raise DataError(
                f"{where}: no labels file; data.labels='file' needs one, or use 'folders' or 'none'"
            ) from None
        return None
    except OSError as exc:
        raise DataError(f"{where}: cannot read the labels file ({exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{where}: the labels file is not UTF-8 text; expected JSON") from None
    found = parse_labels_file(text, where, names)
    if found is None and source == "file":
        raise DataError(f"{where}: holds no labels, but data.labels='file' needs them")
    return found


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_image_name(relative: str) -> bool:
    """Whether a relative posix path names an image, not hidden and not macOS zip metadata."""
    parts = relative.split("/")
    if any(part.startswith(".") or part == "__MACOSX" for part in parts):
        return False
    return parts[-1].lower().endswith(IMAGE_EXTENSIONS)


def _list_folder(root: Path) -> list[str]:
    """Sorted relative posix paths of the images under `root`; hidden folders are not entered."""
    names = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [d for d in subfolders if not d.startswith(".") and d != "__MACOSX"]
        relative_folder = Path(folder).relative_to(root).as_posix()
        prefix = "" if relative_folder == "." else relative_folder + "/"
        names.extend(prefix + f for f in files if _is_image_name(prefix + f))
    return sorted(names)


@contextmanager
def _open_source(path: Path) -> Iterator[tuple[str, list[str], Callable[[str], BinaryIO]]]:
    """Yield (kind, sorted image names, function opening a name as a binary file)."""
    # Read a folder straight from disk.
    if path.is_dir():
        yield "folder", _list_folder(path), lambda name: open(path / name, "rb")
        return

    # Read a zip entry by entry, each into memory.
    if path.suffix.lower() != ".zip":
        raise DataError(f"{path}: expected a folder of images or a .zip file, got a {path.suffix or 'plain'} file")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, NotImplementedError) as exc:  # e.g. a zip format version Python lacks
        raise DataError(f"{path}: cannot open the zip file ({exc}); check that it is a complete zip") from exc
    with archive:
        names = {info.filename for info in archive.infolist() if not info.is_dir()}
        yield "zip", sorted(filter(_is_image_name, names)), lambda name: _read_entry(archive, name)


def _read_entry(archive: zipfile.ZipFile, name: str) -> BinaryIO:
    """One zip entry as an in-memory file; a corrupt or encrypted entry raises OSError."""
    try:
        return io.BytesIO(archive.read(name))
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError) as exc:
        raise OSError(f"cannot read the zip entry: {exc}") from exc


def _decode(fp: BinaryIO, resolution: int, channels: int) -> np.ndarray:
    """Decode one image file in full -> uint8 [C, R, R] in true colours, resized and cropped."""
    # Decode every pixel now, so that truncated files fail here; big JPEGs decode at reduced scale.
    img = Image.open(fp)
    limit = max_pixels(resolution)
    if img.size[0] * img.size[1] > limit:
        raise Image.DecompressionBombError(
            f"{img.size[0]}x{img.size[1]} pixels exceed the limit of {limit} for data.resolution={resolution} "
            "(a decompression bomb, or an image far larger than training needs)"
        )
    img.draft(None, (resolution, resolution))
    img.load()
    img = ImageOps.exif_transpose(img)

    # Bring every mode to 8-bit 'L' or 'RGB', then to the requested channels.
    img = _to_8bit(img)
    if channels == 3 and img.mode != "RGB":
        img = img.convert("RGB")
    elif channels == 1 and img.mode != "L":
        img = img.convert("L")  # ITU-R 601 luma

    # Scale the shorter side to the resolution and keep the center square, in one resampling pass.
    w, h = img.size
    side = min(w, h)
    box = ((w - side) / 2, (h - side) / 2, (w + side) / 2, (h + side) / 2)
    img = img.resize((resolution, resolution), Image.Resampling.LANCZOS, box=box)
    pixels = np.asarray(img)
    return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)  # [R, R, C] -> [C, R, R]


def _to_8bit(img: Image.Image) -> Image.Image:
    """Any Pillow mode -> 'L' or 'RGB', alpha composited over white, wide samples scaled."""
    # Composite transparency over white.
    if _has_alpha(img):
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float32)
        alpha = rgba[..., 3:] / 255.0
        rgb = rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)
        return Image.fromarray(np.rint(rgb).astype(np.uint8))

    # Scale 16-bit grey to 8 bits; a transparent grey value (PNG tRNS) becomes white.
    if img.mode.startswith("I"):
        wide = np.asarray(img).astype(np.int64).clip(0, 65535)
        narrow = (wide * 255 + 32767) // 65535  # round(value * 255 / 65535), exact in integers
        transparent = img.info.get("transparency")
        if isinstance(transparent, int):
            narrow[wide == transparent] = 255
        return Image.fromarray(narrow.astype(np.uint8))

    # Read float images as [0, 1] when nothing exceeds 1, else as [0, 255].
    if img.mode == "F":
        values = np.asarray(img, dtype=np.float32)
        finite = values[np.isfinite(values)]
        scale = 255.0 if finite.size == 0 or finite.max() <= 1.0 else 1.0
        values = np.nan_to_num(values * scale, nan=0.0, posinf=255.0, neginf=0.0).clip(0, 255)
        return Image.fromarray(np.rint(values).astype(np.uint8))

    # Let Pillow convert the remaining modes ('1', 'P', CMYK, YCbCr, RGBX, ...).
    if img.mode in ("L", "RGB"):
        return img
    return img.convert("L" if img.mode == "1" else "RGB")


def _has_alpha(img: Image.Image) -> bool:
    """Whether an 8-bit image has an alpha channel, an RGBA palette or a transparent colour."""
    if img.mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        return True
    if img.mode == "P" and img.palette is not None and img.palette.mode.endswith("A"):
        return True
    return "transparency" in img.info and not img.mode.startswith(("I", "F"))
