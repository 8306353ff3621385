"""The mapping network of StyleGAN and StyleGAN2 (Karras et al. 2019, section 2; 2020, appendix B),
with the running average of w, truncation in W and style mixing regularization.

Paper symbols: z -> `z` [N, z_dim]; w = f(z) -> `ws` broadcast to [N, num_ws, w_dim] (one copy per
style input of the synthesis network); w-bar -> the `w_avg` buffer; psi -> `truncation_psi`.
Truncation (StyleGAN eq. 3): w' = w-bar + psi * (w - w-bar), for the first `truncation_cutoff` layers.
"""

import torch
from torch import nn

from gankit.nn.equalized import EqualizedLinear
from gankit.nn.pixel_norm import normalize_2nd_moment
from gankit.nn.shape import check_shape


class MappingNetwork(nn.Module):
    """z [N, z_dim] -> ws [N, num_ws, w_dim]: pixel-normalized z through an MLP with leaky ReLU.

    Args:
        z_dim, w_dim: latent sizes.
        num_ws: how many copies of w the synthesis network reads.
        num_layers: depth of the MLP (8 in the papers).
        lr_multiplier: learning-rate multiplier of every layer (0.01 in the papers).
        w_avg_beta: decay of the running average of w, updated on every training-mode call.
    """

    def __init__(
        self,
        z_dim: int,
        w_dim: int,
        num_ws: int,
        num_layers: int = 8,
        lr_multiplier: float = 0.01,
        w_avg_beta: float = 0.995,
    ) -> None:
        super().__init__()
        self.z_dim, self.w_dim, self.num_ws, self.w_avg_beta = z_dim, w_dim, num_ws, w_avg_beta
        sizes = [z_dim] + [w_dim] * num_layers
        self.layers = nn.Sequential(
            *[
                EqualizedLinear(a, b, activation="lrelu", lr_multiplier=lr_multiplier)
                for a, b in zip(sizes[:-1], sizes[1:], strict=True)
            ]
        )
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(
        self,
        z: torch.Tensor,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        update_w_avg: bool = True,
    ) -> torch.Tensor:
        """ws [N, num_ws, w_dim]; in training mode (and with `update_w_avg`) also moves w_avg towards the
        batch mean of w. The second latent of style mixing passes update_w_avg=False, so w_avg moves once
        per generator call, at the rate w_avg_beta says."""
        w = self.layers(normalize_2nd_moment(z))  # [N, w_dim]

        # Track the average w while training; truncation pulls towards it.
        if self.training and update_w_avg:
            with torch.no_grad():
                self.w_avg.copy_(w.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        ws = w.unsqueeze(1).repeat(1, self.num_ws, 1)  # [N, w_dim] -> [N, num_ws, w_dim]
        if truncation_psi != 1:
            return truncate(ws, self.w_avg, truncation_psi, truncation_cutoff)
        return ws


def truncate(ws: torch.Tensor, w_avg: torch.Tensor, psi: float, cutoff: int | None = None) -> torch.Tensor:
    """w_avg + psi * (ws - w_avg) on the first `cutoff` layers (all when None) of ws [N, num_ws, w_dim].

    Raises:
        ValueError: when cutoff is not in [1, num_ws].
    """
    cutoff = ws.shape[1] if cutoff is None else cutoff
    if not 1 <= cutoff <= ws.shape[1]:
        raise ValueError(f"truncation cutoff {cutoff} is out of range; expected 1..{ws.shape[1]} (the number of ws)")
    layer = torch.arange(ws.shape[1], device=ws.device).reshape(1, -1, 1)
    return torch.where(layer < cutoff, w_avg.lerp(ws, psi), ws)


def mix_styles(
    ws: torch.Tensor, ws_other: torch.Tensor, prob: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Style mixing regularization (StyleGAN section 3.1): with probability `prob` per sample, take the
    layers from a random crossover point in [1, num_ws) onwards from a second latent.

    Args:
        ws, ws_other: [N, num_ws, w_dim] from two independent latents.
        prob: mixing probability per sample (0.9 in the papers).
        generator: the random stream for the decisions and crossover points.

    Returns:
        [N, num_ws, w_dim].
    """
    N, num_ws = ws.shape[:2]
    device = ws.device
    gen_device = generator.device if generator is not None else device
    cutoff = torch.randint(1, max(num_ws, 2), (N, 1), generator=generator, device=gen_device).to(device)
    mixed = torch.rand(N, 1, generator=generator, device=gen_device).to(device) < prob
    cutoff = torch.where(mixed, cutoff, torch.full_like(cutoff, num_ws))  # num_ws: no layer mixed
    layer = torch.arange(num_ws, device=device).reshape(1, -1)
    return torch.where((layer >= cutoff).unsqueeze(-1), ws_other, ws)


class StyleBasedGenerator(nn.Module):
    """Shared forward of the StyleGAN generators: z -> `mapping` -> (style mixing) -> `synthesis` -> images.

    Subclasses set `mapping` (a MappingNetwork), `synthesis` (ws [N, num_ws, w_dim], noise_mode,
    generator -> images), `z_dim` and `mixing_prob`. Training-mode calls update w_avg, mix styles and
    draw random noise, all from `generator` when given (the run's latent stream), so a resumed run
    repeats them exactly; without it the draws come from the device's default generator.
    """

    truncates_in_w = True  # Run.sample applies truncation psi through the forward call, in W

    def map_styles(
        self,
        z: torch.Tensor,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """z [N, z_dim] -> ws [N, num_ws, w_dim], with style mixing in training mode."""
        check_shape("z", z, [None, self.z_dim])
        ws = self.mapping(z, truncation_psi, truncation_cutoff)
        if self.training and self.mixing_prob > 0 and ws.shape[1] > 1:
            gen_device = generator.device if generator is not None else z.device
            z_other = torch.randn(z.shape, generator=generator, device=gen_device).to(z.device, z.dtype)
            ws_other = self.mapping(z_other, truncation_psi, truncation_cutoff, update_w_avg=False)
            ws = mix_styles(ws, ws_other, self.mixing_prob, generator)
        return ws

    def forward(
        self,
        z: torch.Tensor,
        truncation_psi: float = 1.0,
        truncation_cutoff: int | None = None,
        noise_mode: str = "auto",
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """z [N, z_dim] -> images [N, C, R, R]; noise_mode "auto" is random in training, constant in eval."""
        ws = self.map_styles(z, truncation_psi, truncation_cutoff, generator)
        return self.synthesis(ws, noise_mode, generator)
