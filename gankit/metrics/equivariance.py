"""Equivariance metrics EQ-T and EQ-R (Karras et al. 2021, "Alias-Free GANs", section 2 and appendix E).

For a random latent, generate an image; transform the generator's *input* (translate or rotate the
Fourier features) and generate again; compare with the first image transformed by the same amount.
The score is the PSNR in dB over all pixels where the transformed reference is defined (the paper's
border masking), accumulated over the samples: 10 log10(I_max^2 / MSE) with I_max = 2 for [-1, 1] images.

- `eqt`: integer translation, up to `translate_max` of the image width in x and y (1/8 in the paper),
  rounded to whole pixels; the reference is a pixel shift.
- `eqt_frac`: subpixel translation; the reference is a Lanczos-3 shift.
- `eqr`: rotation by up to `rotate_max` half-turns; the reference is a band-limited rotation, and the
  generated image is "pseudo-rotated" (filtered to the band a rotation keeps) before the comparison.

Input transforms by generator family:
- StyleGAN3: the Fourier input's `transform` buffer, as in the paper.
- StyleGAN2 (EQ-T only): StyleGAN2 has no input that can move; the paper reports no EQ-T for its
  StyleGAN2 baseline (config A) and measures from config B (Fourier features) on. gankit moves the
  learned 4x4 constant by the same fraction of the image instead, treating it as one period of a
  band-limited signal (an exact Fourier phase shift), which is the closest translation of the input
  that the unchanged network allows. Rotating it is not defined (NotImplementedError).
Noise inputs are off (noise_mode="none"): per-pixel noise is fixed to the pixel grid by design and
would be counted against the architecture.
"""

import math
from collections.abc import Callable
from contextlib import contextmanager
from typing import Literal

import torch
from torch import nn

from gankit.metrics.image_transforms import (
    pseudo_rotate,
    rotate,
    rotation_matrix,
    translate_fractional,
    translate_integer,
)

Kind = Literal["eqt", "eqt_frac", "eqr"]
KINDS: tuple[str, ...] = ("eqt", "eqt_frac", "eqr")


def psnr_from_sums(squared_error: float, count: float, peak: float = 2.0) -> float:
    """PSNR in dB of a masked mean squared error given as its sum and pixel count."""
    return 20 * math.log10(peak) - 10 * math.log10(squared_error / count)


def _shift_periodic(const: torch.Tensor, tx: float, ty: float) -> torch.Tensor:
    """Move one period [C, H, W] of a band-limited periodic signal by (tx, ty) samples (Fourier phase shift)."""
    H, W = const.shape[-2:]
    fy = torch.fft.fftfreq(H, dtype=torch.float64, device=const.device)[:, None]
    fx = torch.fft.fftfreq(W, dtype=torch.float64, device=const.device)[None, :]
    phase = torch.exp(-2j * math.pi * (fx * tx + fy * ty))
    return torch.fft.ifft2(torch.fft.fft2(const.double()) * phase).real.to(const.dtype)


@contextmanager
def input_transform(generator: nn.Module, matrix: torch.Tensor):
    """Within the block, G's synthesis sees its input transformed so that content at p moves to `matrix` p.

    Args:
        generator: a StyleGAN3 generator (any transform) or a StyleGAN2 generator (translations only).
        matrix: 3x3 homogeneous transform in normalized image units (the image spans [-1, 1]).

    Raises:
        NotImplementedError: the generator has no transformable input, or a StyleGAN2 rotation.
    """
    synthesis = getattr(generator, "synthesis", None)
    fourier = getattr(getattr(synthesis, "input", None), "transform", None)
    const = getattr(synthesis, "const", None)
    if fourier is not None:
        # The Fourier input samples its features at T p, in units where the image spans 1 (half the normalized ones).
        inverse = matrix.inverse().to(fourier)
        inverse[:2, 2] /= 2
        saved = fourier.clone()
        fourier.copy_(inverse)
        try:
            yield
        finally:
            fourier.copy_(saved)
    elif isinstance(const, nn.Parameter) and const.ndim == 3:
        if not torch.allclose(matrix[:2, :2], torch.eye(2, dtype=matrix.dtype)):
            raise NotImplementedError("EQ-R of a StyleGAN2 generator is not defined: its 4x4 constant cannot rotate")
        saved = const.detach().clone()
        size = const.shape[-1]
        with torch.no_grad():
            const.copy_(_shift_periodic(saved, matrix[0, 2].item() * size / 2, matrix[1, 2].item() * size / 2))
        try:
            yield
        finally:
            with torch.no_grad():
                const.copy_(saved)
    else:
        raise NotImplementedError(
            f"{type(generator).__name__} has no input to transform (expected synthesis.input.transform of "
            "StyleGAN3 or synthesis.const of StyleGAN2)"
        )


def _pair(kind: Kind, orig: torch.Tensor, G: nn.Module, ws: torch.Tensor, rng: torch.Generator, options: dict):
    """(squared error * mask, mask) of one batch for one metric."""
    size = orig.shape[-1]
    synth: Callable[[], torch.Tensor] = lambda: G.synthesis(ws, noise_mode="none")  # noqa: E731
    if kind in ("eqt", "eqt_frac"):
        t = (torch.rand(2, generator=rng, dtype=torch.float64) * 2 - 1) * options["translate_max"]  # image widths
        if kind == "eqt":
            t = (t * size).round() / size
        matrix = torch.eye(3, dtype=torch.float64)
        matrix[:2, 2] = t * 2  # normalized units
        with input_transform(G, matrix.float()):
            img = synth()
        shift = (t * size).tolist()
        if kind == "eqt":
            ref, mask = translate_integer(orig, int(shift[0]), int(shift[1]))
        else:
            ref, mask = translate_fractional(orig, shift[0], shift[1])
        return (ref - img).square() * mask, mask
    angle = (torch.rand([], generator=rng).item() * 2 - 1) * options["rotate_max"] * math.pi
    with input_transform(G, rotation_matrix(angle)):
        img = synth()
    ref, ref_mask = rotate(orig, angle)
    pseudo, pseudo_mask = pseudo_rotate(img, angle)
    mask = ref_mask * pseudo_mask
    return (ref - pseudo).square() * mask, mask


@torch.no_grad()
def equivariance(
    generator: nn.Module,
    kinds: tuple[Kind, ...] | list[Kind] = ("eqt",),
    num_samples: int = 1000,
    batch_size: int = 32,
    seed: int = 0,
    translate_max: float = 0.125,
    rotate_max: float = 1.0,
    device: torch.device | str | None = None,
) -> dict[str, float]:
    """EQ-T / EQ-T_frac / EQ-R of a StyleGAN generator in dB (higher is more equivariant).

    Args:
        generator: StyleGAN3 (all kinds) or StyleGAN2 (eqt, eqt_frac), run in eval mode; its input transform
            and training mode are restored afterwards.
        kinds: which of "eqt", "eqt_frac", "eqr".
        num_samples: latents drawn; each batch shares one random transform per metric, as in the paper.
        batch_size: latents per batch.
        seed: the stream of latents and transforms; equal seeds give equal scores.
        translate_max: largest translation, as a fraction of the image width (0.125 in the paper).
        rotate_max: largest rotation in half-turns (1: any angle, as in the paper).
        device: where to run; default the generator's.

    Returns:
        {kind: PSNR in dB}.

    Raises:
        ValueError: an unknown kind or non-positive counts.
    """
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or num_samples < 1 or batch_size < 1:
        raise ValueError(
            f"equivariance: kinds must be among {KINDS} and num_samples, batch_size >= 1; got kinds={list(kinds)}, "
            f"num_samples={num_samples}, batch_size={batch_size}"
        )
    device = torch.device(device) if device is not None else next(generator.parameters()).device
    was_training = generator.training
    generator.eval()
    rng = torch.Generator().manual_seed(seed)
    sums = {k: [0.0, 0.0] for k in kinds}
    options = {"translate_max": translate_max, "rotate_max": rotate_max}
    try:
        for start in range(0, num_samples, batch_size):
            n = min(batch_size, num_samples - start)
            z = torch.randn(n, generator.z_dim, generator=rng).to(device)
            ws = generator.mapping(z)
            orig = generator.synthesis(ws, noise_mode="none")
            for kind in kinds:
                err, mask = _pair(kind, orig, generator, ws, rng, options)
                sums[kind][0] += err.double().sum().item()
                sums[kind][1] += mask.double().sum().item()
    finally:
        generator.train(was_training)
    return {k: psnr_from_sums(e, c) if c > 0 else float("nan") for k, (e, c) in sums.items()}
