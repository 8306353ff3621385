"""Per-pixel noise inputs of the style-based generators (StyleGAN section 2, "B" in figure 1)."""

import torch


def layer_noise(
    x: torch.Tensor, mode: str, noise_const: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor | None:
    """Noise maps for x [N, C, H, W]: "random" [N, 1, H, W] ~ N(0, 1) from `generator`, "const" the
    fixed buffer `noise_const` [H, W] (repeatable samples), "none" None."""
    if mode == "random":
        gen_device = generator.device if generator is not None else x.device
        noise = torch.randn((x.shape[0], 1, *x.shape[2:]), generator=generator, device=gen_device)
        return noise.to(x.device, x.dtype)
    if mode == "const":
        return noise_const.to(x.dtype)
    if mode == "none":
        return None
    raise ValueError(f"noise mode '{mode}' is not known; choices: auto, random, const, none")
