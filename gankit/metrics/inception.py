"""Inception-v3 as used for FID: the 2015-12-05 TensorFlow graph, in plain PyTorch.

Follows the architecture of Szegedy et al. 2016, "Rethinking the Inception Architecture for Computer Vision"
(figures 5-7, table 1), with the details of the TensorFlow graph that Heusel et al. 2017 used for FID, as ported to
PyTorch by pytorch-fid (M. Seitzer, `pytorch_fid/inception.py`, `FIDInceptionA/C/E_1/E_2`):

- every average pool inside a mixed block leaves the zero padding out of its divisor (count_include_pad=False);
- the last block (Mixed_7c) max-pools its pool branch instead of averaging it;
- batch norm uses eps = 0.001, convolutions have no bias;
- the classifier has 1008 outputs (1000 ImageNet classes plus 8 unused);
- input: 299x299 RGB in [-1, 1], reached by a bilinear resize (align_corners=False, no antialiasing).

Module and parameter names equal torchvision's `Inception3`, so the standard weight file
`pt_inception-2015-12-05-6726825d.pth` loads unchanged (see `inception_weights.py`). The FID features are the
2048 values after global average pooling ("pool3"); `logits` multiplies them by the classifier weights without the
bias, which is what the original Inception Score code did with this graph (Salimans et al. 2016).
"""

import torch
import torch.nn.functional as F
from torch import nn

from gankit.metrics.preprocess import describe_preprocessing, prepare_for_features
from gankit.nn.shape import check_shape


class BasicConv2d(nn.Module):
    """Convolution without bias, batch norm (eps 0.001), ReLU."""

    def __init__(self, c_in: int, c_out: int, **conv_args) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, bias=False, **conv_args)
        self.bn = nn.BatchNorm2d(c_out, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _avg_pool(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)  # the TF graph's pooling


class InceptionA(nn.Module):
    """35x35 block (Mixed_5b-d): 1x1, 5x5, double 3x3 and pool branches."""

    def __init__(self, c_in: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(c_in, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(c_in, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(c_in, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(c_in, pool_features, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([b1, b5, b3, self.branch_pool(_avg_pool(x))], dim=1)


class InceptionB(nn.Module):
    """35x35 -> 17x17 reduction (Mixed_6a)."""

    def __init__(self, c_in: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(c_in, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(c_in, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3(x)
        b3d = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([b3, b3d, F.max_pool2d(x, kernel_size=3, stride=2)], dim=1)


class InceptionC(nn.Module):
    """17x17 block with factorised 7x7 convolutions (Mixed_6b-e)."""

    def __init__(self, c_in: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = BasicConv2d(c_in, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(c_in, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(c_in, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(c_in, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        b7d = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            b7d = layer(b7d)
        return torch.cat([b1, b7, b7d, self.branch_pool(_avg_pool(x))], dim=1)


class InceptionD(nn.Module):
    """17x17 -> 8x8 reduction (Mixed_7a)."""

    def __init__(self, c_in: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(c_in, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(c_in, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], dim=1)


class InceptionE(nn.Module):
    """8x8 block with split 1x3 / 3x1 outputs (Mixed_7b averages its pool branch, Mixed_7c max-pools it)."""

    def __init__(self, c_in: int, pool: str) -> None:
        super().__init__()
        assert pool in ("avg", "max"), f"pool={pool!r}"
        self.pool = pool
        self.branch1x1 = BasicConv2d(c_in, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(c_in, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(c_in, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(c_in, 192, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], dim=1)
        b3d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        b3d = torch.cat([self.branch3x3dbl_3a(b3d), self.branch3x3dbl_3b(b3d)], dim=1)
        if self.pool == "avg":
            pooled = _avg_pool(x)
        else:
            pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)  # the TF graph's last block
        return torch.cat([b1, b3, b3d, self.branch_pool(pooled)], dim=1)


class FIDInceptionV3(nn.Module):
    """Inception-v3 of the 2015-12-05 TF graph; `features` gives the 2048 pool3 values used by FID and KID.

    Attributes:
        name: the feature network's name in metric records.
        resolution, channels: the input it takes after `prepare` (299, RGB).
        feature_dim: 2048.
        num_classes: 1008 (the graph's classifier).
        weight_sha256: sha256 of the weight file it was loaded from, or None.
        preprocessing: the preprocessing rule, as written into metric records.
    """

    name = "inception-v3-tf-2015-12-05"
    resolution = 299
    channels = 3
    feature_dim = 2048
    num_classes = 1008
    mean = std = 127.5  # [0, 255] -> [-1, 1], as the graph expects
    antialias = False  # the reference port resizes with plain bilinear interpolation

    def __init__(self) -> None:
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, pool="avg")
        self.Mixed_7c = InceptionE(2048, pool="max")
        self.fc = nn.Linear(2048, self.num_classes)
        self.weight_sha256: str | None = None
        self.preprocessing = describe_preprocessing(self.resolution, self.channels, self.mean, self.std, self.antialias)
        self.to(memory_format=torch.channels_last)  # 1.4x faster convolutions on CPU; loaded weights keep the layout

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """Apply `prepare_for_features` for this network: RGB, bilinear resize to 299 (no antialias), [-1, 1].

        Args:
            images: uint8 [N, C, H, W] in [0, 255] or float [N, C, H, W] in [-1, 1], C = 1 or 3.

        Returns:
            float [N, 3, 299, 299] in [-1, 1].
        """
        return prepare_for_features(
            images, self.resolution, self.channels, mean=self.mean, std=self.std, antialias=self.antialias
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Pool3 features.

        Args:
            x: prepared input, float [N, 3, 299, 299] in [-1, 1] (see `prepare`).

        Returns:
            float [N, 2048], non-negative.
        """
        check_shape("x", x, [None, 3, self.resolution, self.resolution])  # images go through prepare()
        x = x.contiguous(memory_format=torch.channels_last)

        # Stem: 299 -> 35.
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))  # [N, 64, 147, 147]
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # [N, 64, 73, 73]
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))  # [N, 192, 71, 71]
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # [N, 192, 35, 35]

        # Mixed blocks: 35 -> 17 -> 8.
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c):
            x = block(x)
        for block in (self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)  # ends at [N, 2048, 8, 8]

        # Global average pool.
        return x.mean(dim=(2, 3))  # [N, 2048, 8, 8] -> [N, 2048]

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Classifier logits without the bias (the original Inception Score's), for the class probabilities of IS.

        Args:
            x: prepared input, float [N, 3, 299, 299].

        Returns:
            float [N, 1008].
        """
        return self.features(x) @ self.fc.weight.T  # [N, 2048] @ [2048, 1008] -> [N, 1008]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)
