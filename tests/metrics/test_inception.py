from pathlib import Path

import numpy as np
import pytest
import torch

from gankit.errors import CheckpointError
from gankit.metrics.inception import FIDInceptionV3
from gankit.metrics.inception_weights import INCEPTION_FILE, INCEPTION_SHA256, load_inception
from gankit.metrics.seeded_weights import seeded_images, seeded_state_dict, shapes_of, tensors_sha256

FIXTURE = Path(__file__).parent / "fixtures" / "inception_seeded.npz"


@pytest.fixture(scope="module")
def fixture() -> dict:
    with np.load(FIXTURE) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="module")
def seeded_net(fixture) -> FIDInceptionV3:
    net = FIDInceptionV3()
    net.load_state_dict(seeded_state_dict(shapes_of(net), int(fixture["seed"])), strict=True)
    return net.eval().requires_grad_(False)


def test_state_dict_keys_and_shapes_equal_the_standard_file_layout(fixture):
    """Protects loading pt_inception-2015-12-05-6726825d.pth unchanged: the keys and shapes equal torchvision's
    Inception3(num_classes=1008, aux_logits=False), whose layout the standard file has (recorded by the fixture)."""
    shapes = {k: ",".join(map(str, s)) for k, s in shapes_of(FIDInceptionV3()).items() if "num_batches" not in k}
    assert sorted(shapes) == list(fixture["keys"])
    assert [shapes[k] for k in sorted(shapes)] == list(fixture["key_shapes"])


@pytest.mark.slow
def test_pool_features_equal_pytorch_fid_to_1e5(fixture, seeded_net):
    """Pins gankit's Inception to the reference port: identical seeded weights and uint8 inputs give pytorch-fid's
    pool3 features (scripts/make_inception_fixture.sh) within 1e-5, for an upsampled and a downsampled batch."""
    torch.set_num_threads(1)
    state = seeded_state_dict(shapes_of(seeded_net), int(fixture["seed"]))
    assert tensors_sha256(state) == str(fixture["weights_sha256"])
    images = seeded_images([tuple(s) for s in fixture["input_shapes"]], int(fixture["input_seed"]))
    assert tensors_sha256({str(i): b for i, b in enumerate(images)}) == str(fixture["inputs_sha256"])
    with torch.no_grad():
        feats = torch.cat([seeded_net.features(seeded_net.prepare(batch)) for batch in images])
    expected = torch.from_numpy(fixture["features"])
    assert expected.abs().mean() > 0.05  # the seeded weights keep activations alive, so the comparison means something
    torch.testing.assert_close(feats, expected, atol=1e-5, rtol=1e-5)


def test_missing_weights_error_names_file_hash_and_place(tmp_path, monkeypatch):
    """Protects the no-download rule: the message says which file, its sha256, and where to put it."""
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    with pytest.raises(CheckpointError, match=f"{INCEPTION_FILE} \\(sha256 {INCEPTION_SHA256}") as info:
        load_inception()
    assert str(tmp_path / ".cache" / "gankit" / INCEPTION_FILE) in str(info.value)
    assert "--inception-weights" in str(info.value)


def _save_seeded(tmp_path: Path) -> Path:
    net = FIDInceptionV3()
    path = tmp_path / INCEPTION_FILE
    torch.save(seeded_state_dict(shapes_of(net), 0), path)
    return path


def test_load_from_file_checks_hash_and_records_it(tmp_path):
    path = _save_seeded(tmp_path)
    with pytest.raises(CheckpointError, match="expected 6726825d"):
        load_inception(path=path)
    net = load_inception(path=path, expected_sha256=None)
    assert net.weight_sha256 != INCEPTION_SHA256 and len(net.weight_sha256) == 64
    assert not net.training


def test_cache_folder_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    (tmp_path / ".cache" / "gankit").mkdir(parents=True)
    _save_seeded(tmp_path / ".cache" / "gankit")
    assert load_inception(expected_sha256=None).weight_sha256 is not None


def test_wrong_state_dict_is_refused_with_the_file_name(tmp_path):
    path = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(3, 3)}, path)
    with pytest.raises(CheckpointError, match="other.pth does not fit the FID Inception-v3"):
        load_inception(path=path, expected_sha256=None)


def test_prepare_resizes_grey_uint8_to_rgb_299_in_unit_range():
    x = FIDInceptionV3().prepare(torch.full((1, 1, 8, 8), 255, dtype=torch.uint8))
    assert x.shape == (1, 3, 299, 299)
    torch.testing.assert_close(x, torch.ones_like(x), atol=1e-6, rtol=0)
