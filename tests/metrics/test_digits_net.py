import json
import shutil

import pytest
import torch
import torch.nn.functional as F

from gankit.data.digits import load_digits_dataset
from gankit.errors import CheckpointError
from gankit.metrics import DigitsFeatureNet, classify, load_digits_net, prepare_for_features
from gankit.metrics.digits_net import WEIGHTS_PATH, sha256_of


@pytest.fixture(scope="module")
def net() -> DigitsFeatureNet:
    return load_digits_net()


def test_shipped_weights_match_recorded_sha256_and_size(net):
    """Protects provenance: the shipped file is the one its metadata describes, and stays under 2 MB."""
    meta = json.loads(WEIGHTS_PATH.with_suffix(".json").read_text())
    assert sha256_of(WEIGHTS_PATH) == meta["sha256"]
    assert net.weight_sha256 == meta["sha256"]
    assert net.name == meta["name"] == "digits-cnn"
    assert (meta["input_resolution"], meta["input_channels"]) == (net.resolution, net.channels)
    assert WEIGHTS_PATH.stat().st_size < 2_000_000


def test_loaded_net_is_frozen_and_in_eval_mode(net):
    """Protects metric use: no BatchNorm batch statistics, no gradients."""
    assert not net.training
    assert not any(p.requires_grad for p in net.parameters())


def test_shipped_net_test_split_accuracy(net):
    """Pins the documented quality: at least 97% on the held-out 450 test digits, as recorded in the metadata."""
    test_set = load_digits_dataset("test", resolution=32, channels=1)
    pred, confidence = classify(net, test_set.images)
    acc = (pred == test_set.labels).double().mean().item()
    meta = json.loads(WEIGHTS_PATH.with_suffix(".json").read_text())
    assert acc == pytest.approx(meta["test_accuracy"], abs=1.5 / 450)  # one borderline image may flip across CPUs
    assert acc >= 0.97
    assert pred.shape == confidence.shape == (450,)
    assert bool(((confidence > 0) & (confidence <= 1)).all())


def test_classify_is_batch_size_independent(net):
    """Protects against batch statistics leaking into predictions."""
    images = load_digits_dataset("test", resolution=32, channels=1).images[:30]
    pred_small, conf_small = classify(net, images, batch_size=7)
    pred_large, conf_large = classify(net, images, batch_size=256)
    torch.testing.assert_close(pred_small, pred_large, rtol=0, atol=0)
    torch.testing.assert_close(conf_small, conf_large, rtol=1e-5, atol=1e-6)


def test_missing_weights_file_error_names_file_and_fix(tmp_path):
    """Protects the user-facing error: it names the missing file and the regeneration command."""
    missing = tmp_path / "digits_cnn.safetensors"
    with pytest.raises(
        CheckpointError, match=r"digits_cnn\.safetensors is missing.*python scripts/train_digits_net\.py"
    ):
        load_digits_net(path=missing)


def test_corrupt_weights_file_fails_sha256_check(tmp_path):
    """Protects provenance: a changed weights file is refused, naming the file."""
    path = tmp_path / "digits_cnn.safetensors"
    shutil.copy(WEIGHTS_PATH, path)
    shutil.copy(WEIGHTS_PATH.with_suffix(".json"), path.with_suffix(".json"))
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"digits_cnn\.safetensors has sha256 .* regenerate"):
        load_digits_net(path=path)


def test_net_shapes():
    """Protects the feature and logit shapes used by FID and classification."""
    net = DigitsFeatureNet().eval()
    x = net.prepare(torch.zeros(3, 1, 28, 28, dtype=torch.uint8))
    assert x.shape == (3, 1, 32, 32)
    assert net.features(x).shape == (3, 128)
    assert net.logits(x).shape == (3, 10)
    with pytest.raises(ValueError, match=r"x has shape \[3, 1, 28, 28\], expected \[\*, 1, 32, 32\]"):
        net.features(torch.zeros(3, 1, 28, 28))


def test_prepare_maps_uint8_and_float_to_the_same_input():
    """Protects the one rounding rule: float [-1, 1] goes through to_uint8 before anything else."""
    u8 = torch.arange(256, dtype=torch.uint8).view(1, 1, 16, 16)
    as_float = u8.float() / 127.5 - 1 + 1e-3  # slightly off the uint8 grid, as generator output is
    torch.testing.assert_close(prepare_for_features(as_float, 16, 1), prepare_for_features(u8, 16, 1), rtol=0, atol=0)
    torch.testing.assert_close(prepare_for_features(u8, 16, 1), (u8.float() - 127.5) / 127.5, rtol=0, atol=0)


def test_prepare_converts_rgb_with_bt601_luma_and_repeats_grey():
    """Pins the channel rule: RGB -> grey with weights (0.299, 0.587, 0.114); grey -> RGB by repetition."""
    rgb = torch.tensor([255, 0, 0, 0, 255, 0, 0, 0, 255], dtype=torch.uint8).view(3, 3, 1, 1)  # red, green, blue
    grey = prepare_for_features(rgb, 1, 1, mean=0.0, std=1.0)
    torch.testing.assert_close(grey.flatten(), torch.tensor([0.299, 0.587, 0.114]) * 255, rtol=1e-6, atol=1e-4)
    repeated = prepare_for_features(torch.full((1, 1, 2, 2), 7, dtype=torch.uint8), 2, 3, mean=0.0, std=1.0)
    torch.testing.assert_close(repeated, torch.full((1, 3, 2, 2), 7.0), rtol=0, atol=0)


def test_prepare_resizes_with_antialiased_bilinear():
    """Pins the resize rule: bilinear, antialias=True, align_corners=False on float pixel values."""
    images = torch.randint(0, 256, (2, 1, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    expected = F.interpolate(images.float(), size=(32, 32), mode="bilinear", align_corners=False, antialias=True)
    torch.testing.assert_close(prepare_for_features(images, 32, 1, mean=0.0, std=1.0), expected, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("images", "match"),
    [
        (torch.zeros(2, 2, 8, 8, dtype=torch.uint8), r"expected \[N, C, H, W\] with C = 1 or 3"),
        (torch.zeros(2, 8, 8, dtype=torch.uint8), r"expected \[N, C, H, W\]"),
        (torch.zeros(2, 1, 8, 8, dtype=torch.int64), "expected uint8"),
        (torch.full((2, 1, 8, 8), 255.0), r"values in \[255, 255\], expected \[-1, 1\] .* as uint8"),
        (torch.full((2, 1, 8, 8), float("nan")), r"expected \[-1, 1\]"),
    ],
)
def test_prepare_rejects_bad_input(images, match):
    """Protects the input checks of the preprocessing rule."""
    with pytest.raises(ValueError, match=match):
        prepare_for_features(images, 32, 1)
