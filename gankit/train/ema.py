"""Exponential moving average of G's weights, with a half-life counted in images."""

import copy

import torch
from torch import nn


class GeneratorEMA:
    """Keeps `G_ema`, a copy of G whose weights average G's over a half-life of `halflife_kimg`.

    As in Karras et al. 2019/2020, the decay per update is 0.5 ** (batch / halflife_img), and with
    `rampup` the half-life grows with training as min(halflife_img, rampup * images_seen), so early
    averages do not remember the random initialization. Buffers (batch-norm statistics) are copied.

    Args:
        G: the trained generator.
        halflife_kimg: half-life in thousands of images; 0 makes G_ema a plain copy of G.
        rampup: fraction of images seen that caps the half-life, or None.
    """

    def __init__(self, G: nn.Module, halflife_kimg: float, rampup: float | None) -> None:
        self.G = G
        self.G_ema = copy.deepcopy(G).eval().requires_grad_(False)
        self.halflife_kimg, self.rampup = halflife_kimg, rampup
        self._pairs = list(zip(self.G_ema.parameters(), G.parameters(), strict=True))

    def beta(self, batch_size: int, nimg: int) -> float:
        """The decay for one update after `nimg` images have been shown."""
        halflife_img = self.halflife_kimg * 1000
        if self.rampup is not None:
            halflife_img = min(halflife_img, nimg * self.rampup)
        return 0.5 ** (batch_size / halflife_img) if halflife_img > 0 else 0.0

    @torch.no_grad()
    def update(self, batch_size: int, nimg: int) -> None:
        """Move G_ema towards G after a G step."""
        ema, cur = zip(*self._pairs, strict=True)
        torch._foreach_lerp_(list(ema), list(cur), 1.0 - self.beta(batch_size, nimg))
        for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers(), strict=True):
            b_ema.copy_(b)


@torch.no_grad()
def recalibrate_batchnorm(G: nn.Module, sample_z, batches: int) -> None:
    """Standing statistics (Brock et al. 2019, BigGAN appendix): re-estimate G's batch-norm means and
    variances as plain averages over `batches` batches of fresh latents, then leave G in eval mode.

    Args:
        G: a generator with batch-norm layers.
        sample_z: () -> a batch of latents [B, z_dim] from a stream reserved for this purpose, or a
            tuple of G's inputs (latents and labels for a conditional G).
        batches: number of batches; 0 leaves the statistics as they are.
    """
    norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms or batches == 0:
        return
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration batches
    G.train()
    for _ in range(batches):
        inputs = sample_z()
        G(*inputs) if isinstance(inputs, tuple) else G(inputs)
    G.eval()
    for m, momentum in zip(norms, saved, strict=True):
        m.momentum = momentum
