"""The one preprocessing rule for feature networks: real and generated images go through the same function.

Feature networks see uint8 pixel values. A float generator output in [-1, 1] is first rounded with
`gankit.data.dataset.to_uint8`, the rule used when images are written to disk, so a tensor batch and its lossless
PNG copy give identical features. Then, in this order, on float copies of the 0..255 values:

1. Channels: RGB -> grey with the ITU-R BT.601 luma weights (0.299, 0.587, 0.114) when the network wants one
   channel; grey is repeated when it wants three.
2. Size: bilinear resize to the network's input size with align_corners=False (skipped when the size already
   matches), antialiased for gankit's own networks; the Inception network keeps the reference port's plain
   bilinear resize (antialias=False), so its features match the published FID pipeline.
3. Values: (x - mean) / std, with the network's mean and std given on the 0..255 scale.
"""

import torch
import torch.nn.functional as F

from gankit.data.dataset import to_uint8

LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601, the weights PIL's convert("L") uses
# Float images may overshoot [-1, 1] by this much (generator output; clamped); beyond it they are on another scale
# such as [0, 255] and are refused. Images in [0, 1] cannot be told apart from dark [-1, 1] ones.
RANGE_SLACK = 0.5


def rgb_to_grey(images: torch.Tensor) -> torch.Tensor:
    """Weighted sum of the RGB channels with the BT.601 luma weights.

    Args:
        images: float [N, 3, H, W], any value range.

    Returns:
        float [N, 1, H, W] in the same range.
    """
    weights = images.new_tensor(LUMA_WEIGHTS).view(1, 3, 1, 1)
    return (images * weights).sum(dim=1, keepdim=True)  # [N, 3, H, W] -> [N, 1, H, W]


def prepare_for_features(
    images: torch.Tensor,
    resolution: int,
    channels: int,
    mean: float = 127.5,
    std: float = 127.5,
    antialias: bool = True,
) -> torch.Tensor:
    """Turn real or generated images into a feature network's input.

    Args:
        images: uint8 [N, C, H, W] in [0, 255], or float [N, C, H, W] in [-1, 1] (generator output; values up to
            `RANGE_SLACK` outside are clamped by `to_uint8`). C is 1 or 3.
        resolution: the network's input side length.
        channels: the network's input channels, 1 (grey) or 3 (RGB).
        mean: subtracted from the 0..255 values after resizing.
        std: divides the values after subtracting `mean`.
        antialias: whether the bilinear resize is antialiased (it only matters when shrinking).

    Returns:
        float32 [N, channels, resolution, resolution], (pixel - mean) / std, on the device of `images`.

    Raises:
        TypeError: when `images` is not a torch.Tensor.
        ValueError: when `images` is not a 4-d uint8 or floating tensor with 1 or 3 channels, a float batch has
            values outside [-1, 1], or `resolution`, `channels` or `std` is invalid.
    """
    # Validate the request and the batch.
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images is a {type(images).__name__}, expected a torch.Tensor [N, C, H, W]")
    if resolution < 1:
        raise ValueError(f"resolution={resolution} must be a positive side length")
    if channels not in (1, 3):
        raise ValueError(f"channels={channels} is not supported; feature networks take 1 (grey) or 3 (RGB)")
    if std <= 0:
        raise ValueError(f"std={std} must be positive")
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images has shape {list(images.shape)}, expected [N, C, H, W] with C = 1 or 3")
    if images.dtype == torch.uint8:
        pixels = images
    elif images.is_floating_point():
        low, high = (float(v) for v in images.aminmax()) if images.numel() else (0.0, 0.0)
        if not (-1 - RANGE_SLACK <= low and high <= 1 + RANGE_SLACK):  # also catches NaN
            raise ValueError(
                f"images are float with values in [{low:.4g}, {high:.4g}], expected [-1, 1] (overshoot up to "
                f"{RANGE_SLACK} is clamped); map [0, 1] images with "
                "x * 2 - 1, pass [0, 255] images as uint8, and clamp generator output with gankit.data.to_uint8"
            )
        pixels = to_uint8(images)  # the same rounding as a PNG written by gankit
    else:
        raise ValueError(f"images has dtype {images.dtype}, expected uint8 in [0, 255] or float in [-1, 1]")
    x = pixels.float()

    # Match the network's channels.
    if x.shape[1] == 3 and channels == 1:
        x = rgb_to_grey(x)
    elif x.shape[1] == 1 and channels == 3:
        x = x.expand(-1, 3, -1, -1)  # [N, 1, H, W] -> [N, 3, H, W]

    # Resize with the one fixed rule.
    if tuple(x.shape[-2:]) != (resolution, resolution):
        x = F.interpolate(x, size=(resolution, resolution), mode="bilinear", align_corners=False, antialias=antialias)

    # Normalise.
    return (x - mean) / std


def describe_preprocessing(resolution: int, channels: int, mean: float, std: float, antialias: bool = True) -> str:
    """The preprocessing rule in words, as written into metric records (records that differ here never compare)."""
    colour = "BT.601 grey" if channels == 1 else "RGB (grey repeated)"
    resize = "antialiased bilinear" if antialias else "bilinear (no antialias)"
    return (
        f"to_uint8; {colour}; {resize} resize to {resolution}x{resolution}, align_corners=False; (x - {mean}) / {std}"
    )
