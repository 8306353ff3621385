"""Deterministic stand-in weights for a network, from a seed and the state dict's names and shapes.

Used to test feature networks whose real weights are not shipped (Inception-v3, LPIPS): the same seed and the same
key names and shapes give bit-identical tensors, in gankit and in the reference implementation alike, so both can be
run with identical weights. This file imports only torch, so `scripts/make_inception_fixture.py` loads it by path in
its own environment without installing gankit.

The values keep a ReLU network's activations of order 1: convolution and linear weights are He-normal
(std sqrt(2 / fan_in)); batch-norm scales are near 1, shifts and running means near 0, running variances in
[0.5, 1.5].
"""

import torch


def seeded_state_dict(shapes: dict[str, tuple[int, ...]], seed: int) -> dict[str, torch.Tensor]:
    """Float32 tensors for every key in `shapes`, drawn in sorted-key order from one seeded CPU generator.

    Args:
        shapes: parameter and buffer names mapped to their shapes (keys ending in num_batches_tracked are skipped).
        seed: the generator's seed.

    Returns:
        name -> float32 tensor of that shape.
    """
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for key in sorted(shapes):
        shape = tuple(shapes[key])
        if key.endswith("num_batches_tracked"):
            continue
        if key.endswith("running_var"):
            out[key] = 0.5 + torch.rand(shape, generator=gen)
        elif key.endswith("running_mean") or key.endswith("bias"):
            out[key] = 0.1 * torch.randn(shape, generator=gen)
        elif len(shape) == 1:  # batch-norm or layer scale
            out[key] = 1.0 + 0.1 * torch.randn(shape, generator=gen)
        else:
            fan_in = 1
            for size in shape[1:]:
                fan_in *= size
            out[key] = torch.randn(shape, generator=gen) * (2.0 / fan_in) ** 0.5
    return out


def shapes_of(module: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    """The names and shapes of a module's state dict."""
    return {key: tuple(value.shape) for key, value in module.state_dict().items()}


def seeded_images(shapes: list[tuple[int, int, int, int]], seed: int) -> list[torch.Tensor]:
    """Uniform uint8 image batches [N, C, H, W] in [0, 255], one per shape, from one seeded CPU generator."""
    gen = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8) for shape in shapes]


def tensors_sha256(tensors: dict[str, torch.Tensor]) -> str:
    """sha256 over the names and float32 bytes of tensors in sorted-name order (identifies seeded weights)."""
    import hashlib

    digest = hashlib.sha256()
    for key in sorted(tensors):
        digest.update(key.encode())
        digest.update(tensors[key].detach().float().contiguous().numpy().tobytes())
    return digest.hexdigest()
