"""StyleGAN3 generator (Karras et al. 2021, "Alias-Free Generative Adversarial Networks", sections 3-4,
figure 4 and appendix F), configurations T (translation equivariant) and R (rotation equivariant).

G: mapping network (models/mapping.py, 2 layers) -> Fourier-feature input whose frequencies are
rotated and translated by an affine transform of w -> `num_layers` alias-free layers -> a to-RGB
layer, the output scaled by 0.25. Each layer is a modulated convolution (3x3 in T, 1x1 in R) followed
by the filtered leaky ReLU (nn/filtered_lrelu.py): upsample to twice the output rate, lrelu, low-pass
to the output band, downsample. Config R uses radially symmetric (jinc) down filters in the
non-critically sampled layers. D is the StyleGAN2 residual discriminator (models/stylegan2.py).

The layer schedule (appendix F, figure 4c): cutoffs f_c grow geometrically from `first_cutoff` to
R/2 over the first N - num_critical layers, the minimum stopbands f_t from `first_stopband` to
R/2 * `last_stopband_rel`; each sampling rate s is the smallest power of two >= 2 f_t (at most R);
each filter's transition half-width is max(f_t, s/2) - f_c; each feature map carries a margin of
`margin_size` samples per side, except the last two layers, which are R x R. Channels are
min(channel_base / (2 f_c), channel_max).

Paper symbols: f_c -> `cutoffs`, f_t -> `stopbands`, s -> `sampling_rates`, f_h -> `half_widths`,
the user transform of the input (used by the equivariance metrics) -> `synthesis.input.transform`.
"""

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from gankit.models.mapping import MappingNetwork, StyleBasedGenerator
from gankit.nn.equalized import EqualizedLinear
from gankit.nn.filter_design import design_lowpass
from gankit.nn.filtered_lrelu import filtered_lrelu
from gankit.nn.modulated_conv import modulated_conv2d
from gankit.nn.shape import check_shape
from gankit.registry import GENERATORS


class StyleGAN3GeneratorOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Literal["stylegan3"] = "stylegan3"
    config: Literal["t", "r"] = "t"  # T: 3x3 convs, separable filters; R: 1x1 convs, radial filters
    z_dim: int = Field(512, ge=1)
    w_dim: int = Field(512, ge=1)
    mapping_layers: int = Field(2, ge=1)
    mapping_lr_multiplier: float = Field(0.01, gt=0)
    w_avg_beta: float = Field(0.998, ge=0, lt=1)
    mixing_prob: float = Field(0.0, ge=0, le=1)  # the paper trains StyleGAN3 without style mixing
    channel_base: int = Field(32768, ge=2)  # channels = min(channel_base / (2 f_c), channel_max); R doubles both
    channel_max: int = Field(512, ge=1)
    num_layers: int = Field(14, ge=2)  # alias-free layers, not counting the input and to-RGB
    num_critical: int = Field(2, ge=1)  # critically sampled layers at the end
    first_cutoff: float = Field(2.0, gt=0)
    first_stopband: float = Field(2**2.1, gt=0)
    last_stopband_rel: float = Field(2**0.3, ge=1)
    margin_size: int = Field(10, ge=0)
    output_scale: float = Field(0.25, gt=0)
    filter_size: int = Field(4, ge=1)  # taps per resampling factor
    lrelu_upsampling: int = Field(2, ge=1)
    conv_clamp: float | None = Field(256.0, gt=0)
    magnitude_ema_beta: float = Field(0.999, ge=0, lt=1)


@dataclass(frozen=True)
class LayerSpec:
    """One feature map of the schedule: its size in samples, sampling rate, cutoff, half-width and channels."""

    size: int
    sampling_rate: float
    cutoff: float
    stopband: float
    half_width: float
    channels: int


def layer_schedule(
    resolution: int,
    channels: int,
    num_layers: int = 14,
    num_critical: int = 2,
    first_cutoff: float = 2.0,
    first_stopband: float = 2**2.1,
    last_stopband_rel: float = 2**0.3,
    margin_size: int = 10,
    channel_base: int = 32768,
    channel_max: int = 512,
) -> list[LayerSpec]:
    """The critically sampled schedule (paper appendix F): entry 0 is the input, entry i layer i, the last to-RGB.

    Raises:
        ValueError: num_critical >= num_layers, or a first cutoff at or above the output's Nyquist rate.
    """
    if num_critical >= num_layers:
        raise ValueError(f"num_critical={num_critical} must be smaller than num_layers={num_layers}")
    if first_cutoff >= resolution / 2:
        raise ValueError(f"first_cutoff={first_cutoff} must be below the output's Nyquist rate {resolution / 2}")
    last_cutoff = resolution / 2
    last_stopband = last_cutoff * last_stopband_rel
    exponents = np.minimum(np.arange(num_layers + 1) / (num_layers - num_critical), 1)
    cutoffs = first_cutoff * (last_cutoff / first_cutoff) ** exponents
    stopbands = first_stopband * (last_stopband / first_stopband) ** exponents
    sampling_rates = np.exp2(np.ceil(np.log2(np.minimum(stopbands * 2, resolution))))
    half_widths = np.maximum(stopbands, sampling_rates / 2) - cutoffs
    sizes = sampling_rates + margin_size * 2
    sizes[-2:] = resolution
    widths = np.rint(np.minimum((channel_base / 2) / cutoffs, channel_max))
    widths[-1] = channels
    columns = zip(sizes, sampling_rates, cutoffs, stopbands, half_widths, widths, strict=True)
    return [LayerSpec(int(n), float(s), float(fc), float(ft), float(fh), int(c)) for n, s, fc, ft, fh, c in columns]


class FourierInput(nn.Module):
    """w [N, w_dim] -> [N, C, size, size]: C sinusoids of random frequencies within `bandwidth` (section 3.1),
    sampled on the layer's grid, then mixed by a learned C x C matrix.

    An affine layer maps w to a rotation angle (cos, sin) and a translation (appendix F, "transformed
    Fourier features"); `transform` is a 3x3 user transform applied on top (identity unless an
    equivariance metric sets it). The image at position p is the features at T p, so a transform with
    translation -t moves the content by +t (in units of the output image width).
    """

    def __init__(self, w_dim: int, channels: int, size: int, sampling_rate: float, bandwidth: float) -> None:
        super().__init__()
        self.channels, self.size, self.sampling_rate, self.bandwidth = channels, size, sampling_rate, bandwidth

        # Draw frequencies in a disc of radius `bandwidth` (radially squashed Gaussian) and random phases.
        freqs = torch.randn(channels, 2)
        radii = freqs.square().sum(dim=1, keepdim=True).sqrt()
        freqs = freqs / (radii * radii.square().exp().pow(0.25)) * bandwidth
        self.register_buffer("freqs", freqs)
        self.register_buffer("phases", torch.rand(channels) - 0.5)
        self.register_buffer("transform", torch.eye(3))
        self.weight = nn.Parameter(torch.randn(channels, channels))
        self.affine = EqualizedLinear(w_dim, 4)
        with torch.no_grad():  # start at no rotation and no translation
            self.affine.weight.zero_()
            self.affine.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0]))

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        N = w.shape[0]

        # Turn w into a rotation and translation, applied after the user transform.
        t = self.affine(w)  # [N, 4]: cos, sin (unnormalized), tx, ty
        t = t / t[:, :2].norm(dim=1, keepdim=True)
        rotation = torch.eye(3, device=w.device).repeat(N, 1, 1)
        rotation[:, 0, 0], rotation[:, 0, 1], rotation[:, 1, 0], rotation[:, 1, 1] = t[:, 0], -t[:, 1], t[:, 1], t[:, 0]
        translation = torch.eye(3, device=w.device).repeat(N, 1, 1)
        translation[:, 0, 2], translation[:, 1, 2] = -t[:, 2], -t[:, 3]
        transforms = rotation @ translation @ self.transform.unsqueeze(0)  # [N, 3, 3]

        # Transform the sinusoids: f(T p) = sin(2 pi (f A p + f b) + phase).
        phases = self.phases.unsqueeze(0) + (self.freqs.unsqueeze(0) @ transforms[:, :2, 2:]).squeeze(2)  # [N, C]
        freqs = self.freqs.unsqueeze(0) @ transforms[:, :2, :2]  # [N, C, 2]

        # Fade out frequencies that the grid cannot carry (after a rotation they may exceed the band).
        amplitudes = 1 - (freqs.norm(dim=2) - self.bandwidth) / (self.sampling_rate / 2 - self.bandwidth)
        amplitudes = amplitudes.clamp(0, 1)  # [N, C]

        # Sample at the grid's pixel centres, in units where the output image spans 1.
        theta = torch.eye(2, 3, device=w.device)
        theta[0, 0] = theta[1, 1] = 0.5 * self.size / self.sampling_rate
        grid = F.affine_grid(theta.unsqueeze(0), [1, 1, self.size, self.size], align_corners=False)  # [1, H, W, 2]
        x = grid.unsqueeze(3) @ freqs.permute(0, 2, 1).unsqueeze(1).unsqueeze(2)  # [N, H, W, 1, C]
        x = torch.sin((x.squeeze(3) + phases[:, None, None, :]) * (2 * math.pi)) * amplitudes[:, None, None, :]
        x = x @ (self.weight / math.sqrt(self.channels)).t()  # [N, H, W, C]
        return x.permute(0, 3, 1, 2).contiguous()  # [N, H, W, C] -> [N, C, H, W]

    def extra_repr(self) -> str:
        return f"channels={self.channels}, size={self.size}, sampling_rate={self.sampling_rate}"


class AliasFreeLayer(nn.Module):
    """x [N, c_in, in_size, in_size], w [N, w_dim] -> [N, c_out, out_size, out_size]: modulated conv, then the
    filtered leaky ReLU between the input's and the output's band (figure 4b). The to-RGB layer is a 1x1
    modulated conv without demodulation and without non-linearity or filters.

    The input is divided by the running RMS of what the layer has seen in training (`magnitude_ema`,
    appendix F), which matters for the to-RGB layer, the only one without demodulation.
    """

    def __init__(
        self,
        w_dim: int,
        spec_in: LayerSpec,
        spec_out: LayerSpec,
        is_torgb: bool,
        is_critically_sampled: bool,
        conv_kernel: int,
        radial: bool,
        filter_size: int,
        lrelu_upsampling: int,
        conv_clamp: float | None,
        magnitude_ema_beta: float,
    ) -> None:
        super().__init__()
        self.is_torgb, self.conv_clamp, self.magnitude_ema_beta = is_torgb, conv_clamp, magnitude_ema_beta
        self.in_size, self.out_size = spec_in.size, spec_out.size
        self.c_in, self.c_out = spec_in.channels, spec_out.channels
        self.conv_kernel = 1 if is_torgb else conv_kernel
        self.affine = EqualizedLinear(w_dim, self.c_in, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(self.c_out, self.c_in, self.conv_kernel, self.conv_kernel))
        self.bias = nn.Parameter(torch.zeros(self.c_out))
        self.register_buffer("magnitude_ema", torch.ones([]))

        # Resampling factors: up to the temporary rate (twice the higher one for the lrelu), back down to the output.
        tmp_rate = max(spec_in.sampling_rate, spec_out.sampling_rate) * (1 if is_torgb else lrelu_upsampling)
        self.up = int(round(tmp_rate / spec_in.sampling_rate))
        self.down = int(round(tmp_rate / spec_out.sampling_rate))
        up_taps = filter_size * self.up if self.up > 1 and not is_torgb else 1
        down_taps = filter_size * self.down if self.down > 1 and not is_torgb else 1
        self.down_radial = radial and not is_critically_sampled
        up_filter = design_lowpass(up_taps, spec_in.cutoff, spec_in.half_width * 2, tmp_rate)
        down_filter = design_lowpass(down_taps, spec_out.cutoff, spec_out.half_width * 2, tmp_rate, self.down_radial)
        as_tensor = lambda f: None if f is None else torch.tensor(f, dtype=torch.float32)  # noqa: E731
        self.register_buffer("up_filter", as_tensor(up_filter), persistent=False)
        self.register_buffer("down_filter", as_tensor(down_filter), persistent=False)

        # Pad so the output has out_size samples and sample positions stay centred (the symmetric interpretation).
        pad_total = (self.out_size - 1) * self.down + 1  # size before downsampling
        pad_total -= (self.in_size + self.conv_kernel - 1) * self.up  # size after the full conv and upsampling
        pad_total += up_taps + down_taps - 2  # what the two filters remove
        pad_lo = (pad_total + self.up) // 2
        self.padding = (pad_lo, pad_total - pad_lo, pad_lo, pad_total - pad_lo)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        check_shape("x", x, [None, self.c_in, self.in_size, self.in_size])

        # Track the input's RMS while training; normalizing by it keeps the to-RGB input at unit scale.
        if self.training:
            with torch.no_grad():
                self.magnitude_ema.copy_(
                    x.detach().float().square().mean().lerp(self.magnitude_ema, self.magnitude_ema_beta)
                )
        x = x * self.magnitude_ema.rsqrt().to(x.dtype)

        # Modulated conv with full padding (k - 1); the filters below restore the output size.
        styles = self.affine(w)
        if self.is_torgb:
            styles = styles / math.sqrt(self.c_in * self.conv_kernel**2)
        x = modulated_conv2d(
            x, self.weight, styles, demodulate=not self.is_torgb, padding=self.conv_kernel - 1, impl="scaled"
        )
        gain, slope = (1.0, 1.0) if self.is_torgb else (math.sqrt(2), 0.2)
        return filtered_lrelu(
            x,
            self.bias,
            self.up_filter,
            self.down_filter,
            self.up,
            self.down,
            self.padding,
            gain,
            slope,
            self.conv_clamp,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.c_in}->{self.c_out}, {self.in_size}->{self.out_size}, k={self.conv_kernel}, up={self.up}, "
            f"down={self.down}, radial={self.down_radial}"
        )


class SynthesisNetwork(nn.Module):
    """ws [N, num_ws, w_dim] -> images [N, channels, R, R]: Fourier input (reads ws[:, 0]), then layer i reads
    ws[:, i + 1]; num_ws = num_layers + 2. StyleGAN3 has no noise inputs."""

    def __init__(
        self,
        resolution: int,
        channels: int,
        w_dim: int,
        config: Literal["t", "r"] = "t",
        output_scale: float = 0.25,
        filter_size: int = 4,
        lrelu_upsampling: int = 2,
        conv_clamp: float | None = 256.0,
        magnitude_ema_beta: float = 0.999,
        **schedule,
    ) -> None:
        super().__init__()
        self.resolution, self.channels, self.w_dim, self.output_scale = resolution, channels, w_dim, output_scale
        self.specs = layer_schedule(resolution, channels, **schedule)
        num_layers, num_critical = len(self.specs) - 1, schedule.get("num_critical", 2)
        first = self.specs[0]
        self.input = FourierInput(w_dim, first.channels, first.size, first.sampling_rate, first.cutoff)
        self.layers = nn.ModuleList(
            AliasFreeLayer(
                w_dim,
                self.specs[max(i - 1, 0)],
                self.specs[i],
                is_torgb=i == num_layers,
                is_critically_sampled=i >= num_layers - num_critical,
                conv_kernel=3 if config == "t" else 1,
                radial=config == "r",
                filter_size=filter_size,
                lrelu_upsampling=lrelu_upsampling,
                conv_clamp=conv_clamp,
                magnitude_ema_beta=magnitude_ema_beta,
            )
            for i in range(num_layers + 1)
        )
        self.num_ws = num_layers + 2

    def forward(
        self, ws: torch.Tensor, noise_mode: str = "auto", generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """`noise_mode` and `generator` are accepted for the StyleGAN interface; StyleGAN3 draws no noise."""
        check_shape("ws", ws, [None, self.num_ws, self.w_dim])
        x = self.input(ws[:, 0])
        for i, layer in enumerate(self.layers):
            x = layer(x, ws[:, i + 1])
        return x * self.output_scale


@GENERATORS.register("stylegan3", options=StyleGAN3GeneratorOptions)
class StyleGAN3Generator(StyleBasedGenerator):
    """z [N, z_dim] -> images [N, channels, R, R] (about [-1, 1]); see the module docstring and StyleBasedGenerator.

    Buffers: `mapping.w_avg` (truncation centre), `synthesis.input.transform` (the user transform of the
    input, identity by default), each layer's `magnitude_ema`, and `pl_mean` for the StyleGAN2 game's
    optional path-length term (the paper trains StyleGAN3 without it).
    """

    has_noise_inputs = False  # the paper removes per-pixel noise; `noise_mode` is accepted and ignored

    def __init__(
        self,
        resolution: int,
        channels: int,
        config: Literal["t", "r"] = "t",
        z_dim: int = 512,
        w_dim: int = 512,
        mapping_layers: int = 2,
        mapping_lr_multiplier: float = 0.01,
        w_avg_beta: float = 0.998,
        mixing_prob: float = 0.0,
        channel_base: int = 32768,
        channel_max: int = 512,
        num_layers: int = 14,
        num_critical: int = 2,
        first_cutoff: float = 2.0,
        first_stopband: float = 2**2.1,
        last_stopband_rel: float = 2**0.3,
        margin_size: int = 10,
        output_scale: float = 0.25,
        filter_size: int = 4,
        lrelu_upsampling: int = 2,
        conv_clamp: float | None = 256.0,
        magnitude_ema_beta: float = 0.999,
    ) -> None:
        super().__init__()
        self.z_dim, self.w_dim, self.resolution, self.channels = z_dim, w_dim, resolution, channels
        self.config, self.mixing_prob = config, mixing_prob
        self.synthesis = SynthesisNetwork(
            resolution,
            channels,
            w_dim,
            config,
            output_scale,
            filter_size,
            lrelu_upsampling,
            conv_clamp,
            magnitude_ema_beta,
            num_layers=num_layers,
            num_critical=num_critical,
            first_cutoff=first_cutoff,
            first_stopband=first_stopband,
            last_stopband_rel=last_stopband_rel,
            margin_size=margin_size,
            channel_base=channel_base,
            channel_max=channel_max,
        )
        self.num_ws = self.synthesis.num_ws
        self.mapping = MappingNetwork(z_dim, w_dim, self.num_ws, mapping_layers, mapping_lr_multiplier, w_avg_beta)
        self.register_buffer("pl_mean", torch.zeros([]))
