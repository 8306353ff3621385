"""gankit's own feature network for the built-in digits: a small CNN trained on the digits train split only.

Its penultimate layer (global average pool of the last conv block, 128 values) is the feature space for FID on
digits; its 10-way head classifies samples. The weights ship in `gankit/metrics/weights/` and are reproduced by
`python scripts/train_digits_net.py`.
"""

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gankit.digest import sha256_file
from gankit.errors import CheckpointError
from gankit.metrics.preprocess import describe_preprocessing, prepare_for_features
from gankit.nn.shape import check_shape

ARCHITECTURE = "digits-cnn-v1"
WEIGHTS_PATH = Path(__file__).parent / "weights" / "digits_cnn.safetensors"
REGENERATE = "python scripts/train_digits_net.py"


def _conv_bn_relu(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class DigitsFeatureNet(nn.Module):
    """A small VGG-style CNN for 32x32 grey digits.

    Layers (architecture "digits-cnn-v1"): two 3x3 conv-BN-ReLU at 32x32 (16 channels), max pool; two at 16x16
    (32 channels), max pool; two at 8x8 (64 channels), max pool; one at 4x4 (128 channels); global average pool
    -> 128 features; dropout; linear 128 -> 10.

    Attributes:
        name: the feature network's name in metric records.
        resolution: input side length.
        channels: input channels.
        feature_dim: length of `features(x)`.
        weight_sha256: sha256 of the weights file it was loaded from, or None for an untrained net.
        preprocessing: the preprocessing rule in words, as written into metric records.
    """

    name = "digits-cnn"
    resolution = 32
    channels = 1
    feature_dim = 128
    num_classes = 10
    preprocessing = describe_preprocessing(resolution, channels, mean=127.5, std=127.5, antialias=True)

    def __init__(self, dropout: float = 0.2) -> None:
        super().__init__()
        self.trunk = nn.Sequential(
            *_conv_bn_relu(1, 16),
            *_conv_bn_relu(16, 16),
            nn.MaxPool2d(2),  # 32 -> 16
            *_conv_bn_relu(16, 32),
            *_conv_bn_relu(32, 32),
            nn.MaxPool2d(2),  # 16 -> 8
            *_conv_bn_relu(32, 64),
            *_conv_bn_relu(64, 64),
            nn.MaxPool2d(2),  # 8 -> 4
            *_conv_bn_relu(64, self.feature_dim),
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.feature_dim, self.num_classes)
        self.weight_sha256: str | None = None

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """Apply `prepare_for_features` with this network's input size and normalisation.

        Args:
            images: uint8 [N, C, H, W] in [0, 255] or float [N, C, H, W] in [-1, 1], C = 1 or 3.

        Returns:
            float [N, 1, 32, 32] in [-1, 1].
        """
        return prepare_for_features(images, self.resolution, self.channels, mean=127.5, std=127.5)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features, the FID feature space.

        Args:
            x: prepared input, float [N, 1, 32, 32] (see `prepare`).

        Returns:
            float [N, 128], non-negative (averages of ReLU outputs).
        """
        check_shape("x", x, [None, self.channels, self.resolution, self.resolution])  # images go through prepare()
        return self.trunk(x).mean(dim=(2, 3))  # [N, 128, 4, 4] -> [N, 128]

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits.

        Args:
            x: prepared input, float [N, 1, 32, 32].

        Returns:
            float [N, 10].
        """
        return self.head(self.dropout(self.features(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits(x)


sha256_of = sha256_file  # the name the training script and tests use


def load_digits_net(device: str | torch.device = "cpu", path: str | Path | None = None) -> DigitsFeatureNet:
    """Load the shipped digits network, checking its sha256 against the metadata next to it.

    Args:
        device: where to put the network.
        path: the safetensors file; its metadata is the .json of the same name. Defaults to the shipped weights.

    Returns:
        The network in eval mode with `requires_grad_(False)`, and `weight_sha256` set.

    Raises:
        CheckpointError: when the weights or metadata file is missing or unreadable, the architecture is not
            "digits-cnn-v1", or the file's sha256 differs from the one recorded.
    """
    from safetensors.torch import load_file

    # Find both files.
    path = Path(path) if path is not None else WEIGHTS_PATH
    meta_path = path.with_suffix(".json")
    for p in (path, meta_path):
        if not p.is_file():
            raise CheckpointError(f"digits feature network file {p} is missing; regenerate it with: {REGENERATE}")

    # Check the metadata and the file's hash.
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{meta_path} is not valid JSON ({exc}); regenerate it with: {REGENERATE}") from exc
    meta = meta if isinstance(meta, dict) else {}  # a non-object fails the architecture check below
    if meta.get("architecture") != ARCHITECTURE:
        raise CheckpointError(
            f"{meta_path}: architecture={meta.get('architecture')!r}, expected {ARCHITECTURE!r}; "
            f"regenerate the weights with: {REGENERATE}"
        )
    digest = sha256_of(path)
    if digest != meta.get("sha256"):
        raise CheckpointError(
            f"{path} has sha256 {digest}, but {meta_path} records {meta.get('sha256')}; the file is corrupt or "
            f"stale: regenerate both with: {REGENERATE}"
        )

    # Build the network and load the weights strictly.
    net = DigitsFeatureNet()
    try:
        net.load_state_dict(load_file(str(path)), strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{path} does not fit {ARCHITECTURE} ({exc}); regenerate it with: {REGENERATE}") from exc
    net.weight_sha256 = digest
    return net.to(device).eval().requires_grad_(False)


@torch.no_grad()
def _batched(
    net: DigitsFeatureNet, images: torch.Tensor, batch_size: int, fn: Callable[[torch.Tensor], torch.Tensor]
) -> list[torch.Tensor]:
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} must be at least 1")
    if net.training:
        raise ValueError("the feature network is in training mode; call net.eval() so BatchNorm uses running stats")
    device = next(net.parameters()).device
    return [fn(net.prepare(images[i : i + batch_size].to(device))).cpu() for i in range(0, len(images), batch_size)]


def extract_features(net: DigitsFeatureNet, images: torch.Tensor, batch_size: int = 256) -> np.ndarray:
    """Penultimate features of a batch of real or generated images.

    Args:
        net: a feature network in eval mode (e.g. from `load_digits_net`).
        images: uint8 [N, C, H, W] in [0, 255] or float [N, C, H, W] in [-1, 1], any size; see `prepare`.
        batch_size: images per forward pass; the result does not depend on it beyond float rounding.

    Returns:
        float64 [N, 128].

    Raises:
        ValueError: when the net is in training mode or batch_size < 1.
    """
    chunks = _batched(net, images, batch_size, net.features)
    return torch.cat(chunks).double().numpy() if chunks else np.zeros((0, net.feature_dim))


def classify(net: DigitsFeatureNet, images: torch.Tensor, batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """Predicted digit and its softmax probability.

    Args:
        net: a feature network in eval mode.
        images: uint8 [N, C, H, W] in [0, 255] or float [N, C, H, W] in [-1, 1].
        batch_size: images per forward pass.

    Returns:
        pred: int64 [N], the argmax class.
        confidence: float32 [N], the largest softmax probability, in (0, 1].
    """
    chunks = _batched(net, images, batch_size, lambda x: net.logits(x).softmax(dim=1))
    probs = torch.cat(chunks) if chunks else torch.zeros(0, net.num_classes)
    confidence, pred = probs.max(dim=1)
    return pred, confidence
