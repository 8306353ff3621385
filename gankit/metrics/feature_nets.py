"""Pluggable feature networks: the shipped `digits` net, the standard `inception` net, or any torch.nn.Module.

A feature network is an nn.Module with
- `name` (str) and `weight_sha256` (str), written into every metric record;
- `preprocessing` (str), the rule that turns images into its input, in words (also recorded);
- `feature_dim` (int);
- `prepare(images)`: uint8 [N, C, H, W] in [0, 255] or float [N, C, H, W] in [-1, 1] -> its input;
- `features(x)`: input -> float [N, feature_dim];
- optionally `logits(x)`: input -> float [N, num_classes], which the Inception Score needs.
`ModuleFeatureNet` gives any module these attributes.
"""

import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from gankit.metrics.preprocess import describe_preprocessing, prepare_for_features
from gankit.metrics.seeded_weights import tensors_sha256
from gankit.registry import FEATURE_NETS


def _device(module: nn.Module) -> torch.device:
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


def state_dict_sha256(module: nn.Module) -> str:
    """sha256 over a module's state-dict names and values (identifies in-memory weights in metric records)."""
    return tensors_sha256(module.state_dict())


class ModuleFeatureNet(nn.Module):
    """Wrap any module that maps a prepared image batch to [N, D] features (or [N, D, ...], flattened).

    Args:
        module: the feature extractor.
        name: its name in metric records.
        resolution: the square input size images are resized to.
        channels: its input channels, 1 or 3.
        mean: subtracted from the 0..255 pixel values.
        std: divides them after that.
        antialias: whether the bilinear resize is antialiased.
        classifier: optional head mapping features [N, D] to logits [N, K], for the Inception Score.
    """

    def __init__(
        self,
        module: nn.Module,
        name: str,
        resolution: int,
        channels: int = 3,
        mean: float = 127.5,
        std: float = 127.5,
        antialias: bool = True,
        classifier: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.module, self.classifier = module, classifier
        self.name, self.resolution, self.channels = name, resolution, channels
        self.mean, self.std, self.antialias = mean, std, antialias
        self.preprocessing = describe_preprocessing(resolution, channels, mean, std, antialias)
        self.weight_sha256 = state_dict_sha256(self)
        with torch.no_grad():
            probe = torch.zeros(1, channels, resolution, resolution, device=_device(module))
            self.feature_dim = int(module.eval()(probe).flatten(1).shape[1])

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """`prepare_for_features` with this network's size, channels and normalisation: [N, C, H, W] -> input."""
        return prepare_for_features(images, self.resolution, self.channels, self.mean, self.std, self.antialias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Prepared input [N, channels, resolution, resolution] -> float [N, feature_dim]."""
        return self.module(x).flatten(1)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Prepared input -> class logits [N, K]; only for networks built with a classifier."""
        if self.classifier is None:
            raise NotImplementedError(f"feature network '{self.name}' has no classifier, so it gives no class logits")
        return self.classifier(self.features(x))


def has_classifier(net: nn.Module) -> bool:
    """Whether a feature network gives class logits (for the Inception Score)."""
    return hasattr(net, "logits") and getattr(net, "classifier", True) is not None


@torch.no_grad()
def extract(
    net: nn.Module,
    images: torch.Tensor,
    batch_size: int = 256,
    with_probs: bool = False,
    progress: bool = False,
    desc: str = "features",
) -> tuple[np.ndarray, np.ndarray | None]:
    """Features, and optionally softmax class probabilities, of real or generated images.

    Args:
        net: a feature network in eval mode (see the module docstring).
        images: uint8 [N, C, H, W] in [0, 255] or float [N, C, H, W] in [-1, 1].
        batch_size: images per forward pass; results do not depend on it beyond float rounding.
        with_probs: also return the softmax of `net.logits`.
        progress: show a progress bar (images done, images/s), only when stderr is a terminal.
        desc: the bar's label.

    Returns:
        feats: float64 [N, feature_dim].
        probs: float64 [N, num_classes] (softmax taken in float64), or None.

    Raises:
        ValueError: when the network is in training mode or batch_size < 1.
        NotImplementedError: when probabilities are asked of a network without a classifier.
    """
    # Validate the request.
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} must be at least 1")
    if net.training:
        raise ValueError("the feature network is in training mode; call net.eval() so BatchNorm uses running stats")
    if with_probs and not has_classifier(net):
        raise NotImplementedError(
            f"feature network '{net.name}' has no classifier, so it cannot give class probabilities"
        )

    # Run the batches.
    device = _device(net)
    feats, probs = [], []
    show = progress and sys.stderr.isatty()
    bar = tqdm(total=len(images), desc=desc, unit="img", disable=not show, leave=False)
    for i in range(0, len(images), batch_size):
        x = net.prepare(images[i : i + batch_size].to(device))
        f = net.features(x)
        feats.append(f.double().cpu())
        if with_probs:
            probs.append(net.logits(x).double().softmax(dim=1).cpu())
        bar.update(len(x))
    bar.close()
    feats_out = torch.cat(feats).numpy() if feats else np.zeros((0, net.feature_dim))
    return feats_out, (torch.cat(probs).numpy() if with_probs and probs else None)


@FEATURE_NETS.register("digits")
def _build_digits(device: str | torch.device, weights: str | Path | None = None) -> nn.Module:
    from gankit.metrics.digits_net import load_digits_net

    return load_digits_net(device, path=weights)


@FEATURE_NETS.register("inception")
def _build_inception(device: str | torch.device, weights: str | Path | None = None) -> nn.Module:
    from gankit.metrics.inception_weights import load_inception

    return load_inception(device, path=weights)
