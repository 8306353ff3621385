"""LPIPS, the learned perceptual image patch similarity (Zhang et al. 2018, "The Unreasonable Effectiveness of
Deep Features as a Perceptual Metric", section 3 and eq. 1), version 0.1 with the AlexNet and VGG-16 backbones:

    d(x, x0) = sum_l 1 / (H_l W_l) sum_{h, w} || w_l * (y_hat_l[h, w] - y_hat0_l[h, w]) ||_2^2

where y_hat_l are the backbone's activations at layer l, unit-normalised along channels, and w_l are the
calibrated per-channel weights (the "lin" heads, 1x1 convolutions without bias). Images are [-1, 1] and are first
shifted and scaled channel-wise by the constants of the reference implementation (`SHIFT`, `SCALE`).

Weights come from two local files per variant, never downloaded: the ImageNet backbone as published with
torchvision (`alexnet-owt-7be5be79.pth`, `vgg16-397923af.pth`, whose names carry the first 8 hex digits of their
sha256) and the linear heads of LPIPS v0.1 (`alex.pth`, `vgg.pth` from the lpips package's `weights/v0.1/`
folder, saved here as `lpips_v0.1_alex.pth`, `lpips_v0.1_vgg.pth`). The full SHA-256 of all four files (`VARIANTS`)
are taken from several independent public records that agree with each other and with the 8-digit prefixes in the
torchvision names; gankit cannot download the files, so they were not recomputed here from the files themselves.
"""

from pathlib import Path
from typing import Literal

import torch
from torch import nn

from gankit.digest import sha256_file
from gankit.errors import CheckpointError
from gankit.metrics.inception_weights import resolve_weights
from gankit.nn.shape import check_shape
from gankit.safe_load import load_torch_file

SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)

# Per variant: backbone file, the channel counts of the five tapped ReLUs, and the layer indices that end each tap.
VARIANTS = {
    "alex": {
        "backbone": "alexnet-owt-7be5be79.pth",
        "backbone_sha256": "7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02",
        "heads_sha256": "df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
        "channels": (64, 192, 384, 256, 256),
        "taps": (2, 5, 8, 10, 12),
    },
    "vgg": {
        "backbone": "vgg16-397923af.pth",
        "backbone_sha256": "397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0",
        "heads_sha256": "a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868",
        "channels": (64, 128, 256, 512, 512),
        "taps": (4, 9, 16, 23, 30),
    },
}


def _alexnet_features() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(),
        nn.MaxPool2d(3, 2), nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(),
        nn.MaxPool2d(3, 2), nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
        nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(),
    )  # fmt: skip


def _vgg16_features() -> nn.Sequential:
    layers: list[nn.Module] = []
    c_in = 3
    for block, (c_out, convs) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]):
        if block > 0:
            layers.append(nn.MaxPool2d(2, 2))
        for _ in range(convs):
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU()]
            c_in = c_out
    return nn.Sequential(*layers)  # indices match torchvision's vgg16().features up to relu5_3


class _LinearHead(nn.Module):
    """1x1 convolution to one channel without bias; `model.1` matches the reference file's key names."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, bias=False))


class LPIPS(nn.Module):
    """LPIPS v0.1 distance with an AlexNet or VGG-16 backbone.

    Attributes:
        variant: "alex" or "vgg".
        weight_sha256: {"backbone": ..., "heads": ...} of the files it was loaded from, or None.
    """

    def __init__(self, variant: Literal["alex", "vgg"] = "alex") -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"LPIPS variant={variant!r} is not known; choices: {', '.join(VARIANTS)}")
        self.variant = variant
        self.features = _alexnet_features() if variant == "alex" else _vgg16_features()
        self.taps = VARIANTS[variant]["taps"]
        for i, channels in enumerate(VARIANTS[variant]["channels"]):
            self.add_module(f"lin{i}", _LinearHead(channels))
        self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1), persistent=False)
        self.weight_sha256: dict[str, str] | None = None

    def _taps(self, x: torch.Tensor) -> list[torch.Tensor]:
        out, start = [], 0
        for end in self.taps:
            x = self.features[start:end](x)
            out.append(x / (x.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10))  # unit length along channels
            start = end
        return out

    def forward(self, img_a: torch.Tensor, img_b: torch.Tensor) -> torch.Tensor:
        """Per-pair distance.

        Args:
            img_a: float [N, 3, H, W] in [-1, 1] (grey images may be repeated to 3 channels first).
            img_b: float [N, 3, H, W] in [-1, 1].

        Returns:
            float [N], >= 0; 0 for identical images.
        """
        check_shape("img_a", img_a, [None, 3, None, None])
        check_shape("img_b", img_b, list(img_a.shape))
        taps_a = self._taps((img_a - self.shift) / self.scale)
        taps_b = self._taps((img_b - self.shift) / self.scale)
        dist = img_a.new_zeros(img_a.shape[0])
        for i, (a, b) in enumerate(zip(taps_a, taps_b, strict=True)):
            head = getattr(self, f"lin{i}").model[1]
            dist = dist + head((a - b).pow(2)).mean(dim=(1, 2, 3))  # [N, C, h, w] -> [N, 1, h, w] -> [N]
        return dist


def load_lpips(
    variant: Literal["alex", "vgg"] = "alex",
    device: str | torch.device = "cpu",
    backbone_path: str | Path | None = None,
    heads_path: str | Path | None = None,
    check_hash: bool = True,
) -> LPIPS:
    """Load LPIPS from local weight files.

    Args:
        variant: "alex" or "vgg".
        device: where to put the network.
        backbone_path: torchvision's ImageNet weights of the backbone; default ~/.cache/gankit/<file in VARIANTS>.
        heads_path: the LPIPS v0.1 linear heads; default ~/.cache/gankit/lpips_v0.1_<variant>.pth.
        check_hash: whether both files must have the standard sha256 in `VARIANTS` (False for test weights; the
            hashes are recorded either way, so records made with other weights never compare with standard ones).

    Returns:
        The network in eval mode with `requires_grad_(False)` and `weight_sha256` set.

    Raises:
        CheckpointError: when a file is missing, its hash is not the standard one, or its keys or shapes do not
            fit.
    """
    # Find the files and check their hashes.
    if variant not in VARIANTS:
        raise ValueError(f"LPIPS variant={variant!r} is not known; choices: {', '.join(VARIANTS)}")
    spec = VARIANTS[variant]
    how = "or pass its path (CLI: --lpips-weights DIR holding both files; Python: load_lpips(backbone_path=..., "
    how += "heads_path=...))"
    identity = f"torchvision's ImageNet {variant} weights, sha256 {spec['backbone_sha256']}"
    backbone = resolve_weights(backbone_path, spec["backbone"], f"LPIPS-{variant} backbone", identity, how)
    heads_file = f"lpips_v0.1_{variant}.pth"
    identity = f"the lpips package's weights/v0.1/{variant}.pth, renamed; sha256 {spec['heads_sha256']}"
    heads = resolve_weights(heads_path, heads_file, f"LPIPS-{variant} linear heads", identity, how)
    digests = {"backbone": sha256_file(backbone), "heads": sha256_file(heads)}
    for part, file in (("backbone", backbone), ("heads", heads)):
        if check_hash and digests[part] != spec[f"{part}_sha256"]:
            raise CheckpointError(
                f"{file} has sha256 {digests[part]}, expected {spec[f'{part}_sha256']} (LPIPS-{variant} {part}); "
                "the file is damaged or another network's: replace it with the standard file"
            )

    # Load both state dicts strictly, without running code.
    net = LPIPS(variant)
    state = {}
    for file, keep in ((backbone, "features."), (heads, "lin")):
        loaded = load_torch_file(file)
        state.update({k: v for k, v in loaded.items() if k.startswith(keep)})  # the backbone file has a classifier
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{backbone} and {heads} do not fit LPIPS-{variant}: {exc}") from exc
    net.weight_sha256 = digests
    return net.to(device).eval().requires_grad_(False)
