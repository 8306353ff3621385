import json
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data.image_folder import load_image_folder
from gankit.errors import DataError


def _images(root, names):
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((8, 8), 20 * len(name) % 256, np.uint8)).save(root / name)


def _labels_file(root, entries):
    (root / "dataset.json").write_text(json.dumps({"labels": entries}))


def test_class_labels_from_dataset_json_follow_the_image_order(tmp_path):
    """dataset.json (StyleGAN2-ADA's format) labels each image, whatever the order of its entries."""
    _images(tmp_path, ["b.png", "a.png", "sub/c.png"])
    _labels_file(tmp_path, [["sub/c.png", 2], ["a.png", 0], ["b.png", 1]])
    ds = load_image_folder(tmp_path, 8, channels=1, progress=False)
    assert ds.labels.tolist() == [0, 1, 2] and ds.num_classes == 3  # files sorted: a, b, sub/c
    assert "3 classes" in ds.describe()


def test_label_vectors_and_zip_archives(tmp_path):
    """Float label vectors (multi-label or continuous attributes) load as [N, D], from a zip too."""
    _images(tmp_path, ["a.png", "b.png"])
    _labels_file(tmp_path, [["a.png", [1, 0, 0.5]], ["b.png", [0, 1, 0.25]]])
    archive = tmp_path / "data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("a.png", "b.png", "dataset.json"):
            zf.write(tmp_path / name, name)
    ds = load_image_folder(archive, 8, channels=1, progress=False)
    assert ds.labels.dtype == torch.float32 and ds.labels.tolist() == [[1, 0, 0.5], [0, 1, 0.25]]
    assert ds.num_classes is None and "label vectors of 3" in ds.describe()


def test_class_sub_folders(tmp_path):
    _images(tmp_path, ["dog/1.png", "cat/1.png", "cat/2.png"])
    ds = load_image_folder(tmp_path, 8, channels=1, progress=False, labels="folders")
    assert ds.labels.tolist() == [0, 0, 1] and ds.num_classes == 2  # cat = 0, dog = 1
    with pytest.raises(DataError, match="not in a class sub-folder"):
        _images(tmp_path, ["loose.png"])
        load_image_folder(tmp_path, 8, channels=1, progress=False, labels="folders")


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([["a.png", 0]], r"1 images have no label and 0 labels name no image:\n  b.png: image without a label"),
        ([["a.png", 0], ["b.png", 1], ["ghost.png", 1]], r"ghost.png: labelled, but not an image of the dataset"),
        ([["a.png", 0], ["b.png", [1.0, 0.0]]], r"labels mix kinds \(class, vector of 2\)"),
        ([["a.png", [1.0]], ["b.png", [1.0, 0.0]]], r"labels mix kinds \(vector of 1, vector of 2\)"),
        ([["a.png", -1], ["b.png", 1]], r"the label of 'a.png' is -1; expected an integer class >= 0"),
        ([["a.png", 0], ["a.png", 1]], r"'a.png' is labelled twice"),
        ("nope", r"'labels' must be a list"),
    ],
)
def test_bad_labels_files_are_reported_by_path(tmp_path, entries, message):
    """Every labels-file problem names dataset.json and what is wrong, before any training."""
    _images(tmp_path, ["a.png", "b.png"])
    _labels_file(tmp_path, entries)
    with pytest.raises(DataError, match=message) as info:
        load_image_folder(tmp_path, 8, channels=1, progress=False)
    assert str(tmp_path / "dataset.json") in str(info.value)


def test_not_json_and_required_file_missing(tmp_path):
    _images(tmp_path, ["a.png"])
    with pytest.raises(DataError, match="no labels file; data.labels='file' needs one"):
        load_image_folder(tmp_path, 8, channels=1, progress=False, labels="file")
    (tmp_path / "dataset.json").write_text("{labels: [")
    with pytest.raises(DataError, match="dataset.json: not valid JSON"):
        load_image_folder(tmp_path, 8, channels=1, progress=False)
    assert load_image_folder(tmp_path, 8, channels=1, progress=False, labels="none").labels is None


def test_skipped_images_drop_their_labels(tmp_path):
    """With data.skip_bad, the labels of the kept images stay aligned with them."""
    _images(tmp_path, ["a.png", "c.png"])
    (tmp_path / "b.png").write_bytes(b"not an image")
    _labels_file(tmp_path, [["a.png", 0], ["b.png", 1], ["c.png", 2]])
    ds = load_image_folder(tmp_path, 8, channels=1, progress=False, skip_bad=True)
    assert ds.labels.tolist() == [0, 2] and len(ds.skipped) == 1


def test_bad_images_and_missing_labels_come_in_one_message(tmp_path):
    """A truncated image and an unlabelled one are both named in the same error, before training."""
    _images(tmp_path, ["a.png", "b.png"])
    (tmp_path / "c.png").write_bytes((tmp_path / "a.png").read_bytes()[:20])  # truncated PNG
    _labels_file(tmp_path, [["a.png", 0], ["c.png", 1]])
    with pytest.raises(DataError) as info:
        load_image_folder(tmp_path, 8, channels=1, progress=False)
    message = str(info.value)
    assert "c.png: cannot decode image" in message and "b.png: image without a label" in message
