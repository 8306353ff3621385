"""The image sets `gankit eval --fake SRC --real SRC` compares, named by one string each.

Accepted forms (`FORMS`), tried in this order:
- `builtin:digits-test`, `builtin:digits-train`: the built-in digits splits;
- a path ending in `.npz`: a statistics file (`gankit.metrics.stats_file`; FID only);
- a path ending in `.zip`: a zip of images;
- a run folder (it holds `checkpoints/` or `config.yaml`) or one of its checkpoint folders: N samples of its EMA
  generator;
- any other folder: the images in it (searched recursively).
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch

from gankit.errors import ConfigError
from gankit.metrics.stats_file import images_sha256

BUILTINS = {"builtin:digits-test": "test", "builtin:digits-train": "train"}
FORMS = (
    f"a run folder (runs/NAME), an image folder, a .zip of images, {' or '.join(BUILTINS)}, or a statistics file (.npz)"
)
SourceKind = Literal["run", "folder", "zip", "builtin", "stats"]


@dataclass(frozen=True)
class Source:
    """One side of an evaluation.

    Attributes:
        kind: run, folder, zip, builtin or stats.
        text: the string the user gave.
        path: the file or folder (None for built-in sets).
    """

    kind: SourceKind
    text: str
    path: Path | None = None


@dataclass
class ImageSet:
    """Images ready for a feature network, with what identifies them.

    Attributes:
        images: uint8 [N, C, H, W] (data) or float [N, C, H, W] in [-1, 1] (generator output).
        description: the set in words, for records (e.g. "digits (test split), 450 images").
        content_sha256: sha256 of the uint8 pixels for data sets (the statistics cache key), None for samples.
    """

    images: torch.Tensor
    description: str
    content_sha256: str | None = None


def parse_source(text: str, flag: str) -> Source:
    """Recognise a source string.

    Args:
        text: what the user passed.
        flag: the option it was passed to (`--fake`, `--real`), for messages.

    Raises:
        ConfigError: naming the value, why it is not a source, and the accepted forms.
    """
    if text.startswith("builtin:"):
        if text not in BUILTINS:
            raise ConfigError(f"{flag} {text!r} is not a built-in set; expected {' or '.join(BUILTINS)}")
        return Source("builtin", text)
    path = Path(text).expanduser()
    suffix = path.suffix.lower()
    if suffix in (".npz", ".zip") and not path.is_file():
        raise ConfigError(f"{flag} {text!r}: no such file; expected {FORMS}")
    if suffix == ".npz":
        return Source("stats", text, path)
    if suffix == ".zip":
        return Source("zip", text, path)
    if not path.exists():
        raise ConfigError(f"{flag} {text!r}: no such file or folder; expected {FORMS}")
    if not path.is_dir():
        raise ConfigError(f"{flag} {text!r} is a file that is neither .npz nor .zip; expected {FORMS}")
    if is_run_folder(path):
        return Source("run", text, path)
    return Source("folder", text, path)


def is_run_folder(path: Path) -> bool:
    """Whether a folder is a run folder or one of its checkpoint folders."""
    in_checkpoints = path.parent.name == "checkpoints" and (path / "meta.json").is_file()
    checkpoints_folder = path.name == "checkpoints" and (path / "latest.json").is_file()  # a run's checkpoints/
    return (path / "checkpoints").is_dir() or (path / "config.yaml").is_file() or in_checkpoints or checkpoints_folder


def load_data_set(source: Source, resolution: int, channels: int, progress: bool) -> ImageSet:
    """Decode a built-in split, folder or zip at `resolution` and `channels` (see `gankit.data`).

    Args:
        source: a builtin, folder or zip source.
        resolution: side length the images are decoded at.
        channels: 1 or 3.
        progress: show a decoding bar on a terminal.

    Returns:
        uint8 images [N, channels, resolution, resolution] with their description and content hash.
    """
    if source.kind == "builtin":
        from gankit.data.digits import load_digits_dataset

        dataset = load_digits_dataset(BUILTINS[source.text], resolution, channels)
    else:
        from gankit.data.image_folder import load_image_folder

        dataset = load_image_folder(source.path, resolution, channels, labels="none", progress=progress)
    images = dataset.images
    name = f"digits {BUILTINS[source.text]} split" if source.kind == "builtin" else source.text
    description = f"{name} ({len(images)} images)"
    return ImageSet(images, description, images_sha256(images))
