"""Mode coverage on stacked digits (the Stacked MNIST protocol of VEEGAN, Srivastava et al. 2017).

Each of the three channels of a generated image is classified by the shipped digits network; the
triple of predicted digits is the sample's mode. Reported: how many of the 1,000 modes appear at
least once, and KL(generated mode histogram || uniform) in nats, on 26,000 samples by default.
"""

import numpy as np
import torch

from gankit.metrics.digits_net import DigitsFeatureNet, classify

NUM_MODES = 1000
DEFAULT_SAMPLES = 26_000


def triple_modes(net: DigitsFeatureNet, images: torch.Tensor, batch_size: int = 512) -> np.ndarray:
    """Images [N, 3, H, W] (uint8, or float in [-1, 1]) -> int64 modes [N] = 100 * a + 10 * b + c."""
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"stacked-digit images must be [N, 3, H, W], got shape {list(images.shape)}")
    digits = []
    for channel in range(3):
        predicted, _ = classify(net, images[:, channel : channel + 1], batch_size=batch_size)  # [N] each
        digits.append(predicted.cpu().numpy().astype(np.int64))
    return digits[0] * 100 + digits[1] * 10 + digits[2]


def mode_stats(modes: np.ndarray) -> dict[str, float]:
    """{"modes": distinct modes seen, "kl": KL(histogram || uniform over 1,000) in nats}."""
    counts = np.bincount(modes, minlength=NUM_MODES).astype(np.float64)
    q = counts / counts.sum()
    nonzero = q > 0
    kl = float(np.sum(q[nonzero] * np.log(q[nonzero] * NUM_MODES)))
    return {"modes": int(nonzero.sum()), "kl": max(kl, 0.0)}
