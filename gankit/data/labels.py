"""Labels of an image folder or zip: a `dataset.json` labels file or class sub-folders.

`dataset.json` at the dataset's root uses the format StyleGAN2-ADA's dataset tool writes:
`{"labels": [["relative/path.png", label], ...]}`, where every label is either an integer class
(0, 1, ...) or a list of floats of one common length (multi-label or continuous attributes);
`{"labels": null}` means unlabelled. With class sub-folders, an image's class is the name of the
top-level folder holding it, and classes are numbered in sorted name order.

Every problem is reported before training, by path: a file that is not JSON or not in this shape,
an image without a label, a label naming a file that is not an image of the dataset, and labels
that mix integers and vectors or vectors of different lengths.
"""

import json
from dataclasses import dataclass
from typing import Literal

import torch

from gankit.errors import DataError

LABELS_FILE = "dataset.json"
MAX_CLASSES = 100_000  # class ids at or above this are refused (each class gets embedding rows)
MAX_LISTED = 100  # files listed by name in one error message
LabelSource = Literal["auto", "none", "file", "folders"]


@dataclass(frozen=True)
class Labels:
    """Labels in dataset order: int64 [N] classes with `num_classes`, or float32 [N, D] vectors."""

    values: torch.Tensor
    num_classes: int | None
    class_names: tuple[str, ...] = ()


def parse_labels_file(text: str, where: str, names: list[str]) -> Labels | None:
    """Labels of `names` (relative image paths, in dataset order) from the text of a labels file.

    Args:
        text: the file's contents.
        where: the file's path, for messages.
        names: every image of the dataset, in order.

    Returns:
        The labels, or None when the file holds none (`{"labels": null}` or no 'labels' key).

    Raises:
        DataError: naming `where` and the first problems found.
    """
    # Parse the JSON and its outer shape.
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f'{where}: not valid JSON ({exc}); expected {{"labels": [[path, label], ...]}}') from None
    if not isinstance(doc, dict):
        raise DataError(f"{where}: expected an object with a 'labels' key, like {{\"labels\": [[path, label], ...]}}")
    entries = doc.get("labels")  # absent or null: an unlabelled dataset
    if entries is None:
        return None
    if not isinstance(entries, list):
        raise DataError(
            f"{where}: 'labels' must be a list of [path, label] pairs or null, got {type(entries).__name__}"
        )

    # Check every entry and collect the labels by path.
    by_path: dict[str, int | list[float]] = {}
    for i, entry in enumerate(entries):
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            raise DataError(f"{where}: labels[{i}] is {entry!r}; expected [relative_path, label]")
        path, label = entry[0].replace("\\", "/"), entry[1]
        if not (_is_class(label) or _is_vector(label)):
            raise DataError(
                f"{where}: the label of '{path}' is {label!r}; expected an integer class >= 0 or a list of numbers"
            )
        if path in by_path:
            raise DataError(f"{where}: '{path}' is labelled twice")
        by_path[path] = label

    # Match the labels to the images, both ways, listing every file.
    unknown = sorted(set(by_path) - set(names))
    missing = [n for n in names if n not in by_path]
    problems = [f"  {n}: image without a label" for n in missing]
    problems += [f"  {n}: labelled, but not an image of the dataset" for n in unknown]
    if problems:
        shown = problems[:MAX_LISTED] + (
            [f"  ... and {len(problems) - MAX_LISTED} more"] if len(problems) > MAX_LISTED else []
        )
        raise DataError(
            f"{where}: {len(missing)} images have no label and {len(unknown)} labels name no image:\n"
            + "\n".join(shown)
        )

    # One kind of label for the whole dataset.
    values = [by_path[n] for n in names]
    kinds = {"class" if _is_class(v) else f"vector of {len(v)}" for v in values}
    if len(kinds) > 1:
        raise DataError(f"{where}: labels mix kinds ({', '.join(sorted(kinds))}); use one kind for every image")
    if _is_class(values[0]):
        classes = torch.tensor(values, dtype=torch.int64)
        if int(classes.max()) >= MAX_CLASSES:
            raise DataError(
                f"{where}: class {int(classes.max())} is too large; number the classes 0, 1, ... below {MAX_CLASSES:,}"
            )
        return Labels(classes, int(classes.max()) + 1)
    return Labels(torch.tensor(values, dtype=torch.float32), None)


def labels_from_folders(names: list[str], where: str) -> Labels:
    """Classes from the top-level folder of each relative path, numbered in sorted folder order."""
    loose = [n for n in names if "/" not in n]
    if loose:
        raise DataError(
            f"{where}: data.labels='folders', but {len(loose)} images are not in a class sub-folder "
            f"(first: {', '.join(loose[:3])})"
        )
    folders = [n.split("/", 1)[0] for n in names]
    class_names = tuple(sorted(set(folders)))
    index = {c: i for i, c in enumerate(class_names)}
    return Labels(torch.tensor([index[f] for f in folders], dtype=torch.int64), len(class_names), class_names)


def _is_class(label: object) -> bool:
    return isinstance(label, int) and not isinstance(label, bool) and label >= 0


def _is_vector(label: object) -> bool:
    return (
        isinstance(label, list)
        and len(label) > 0
        and all(
            isinstance(x, int | float) and not isinstance(x, bool) and x == x and abs(x) != float("inf") for x in label
        )
    )
