"""The one augmentation interface every game uses for the images D sees.

An augment is called with one image batch, or with several batches that belong together (the input
and target of a translation pair); it draws its random parameters once per call and applies the
same transform to every batch of the call, so a pair stays aligned. The batches must share N, H and
W; their channel counts may differ (an edge map and a photo). All randomness comes from one
explicit torch.Generator, the run's `augment` stream, so a resumed run draws the same transforms.
"""

import torch


class Augment:
    """Base class: `aug(img)` -> img, `aug(a, b)` -> (a, b) with one shared random transform.

    Subclasses implement `apply`, which takes the list of batches and returns them transformed.
    Every transform must be differentiable with respect to the images.

    Args:
        generator: the torch.Generator of this run's augmentation stream.
    """

    def __init__(self, generator: torch.Generator) -> None:
        self.generator = generator

    def __call__(self, *imgs: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        """[N, C_i, H, W] batches -> the same shapes, transformed alike; one tensor in, one tensor out."""
        if not imgs:
            raise TypeError("an augment needs at least one image batch")
        n, _, h, w = imgs[0].shape
        for i, img in enumerate(imgs):
            if img.ndim != 4 or img.shape[0] != n or img.shape[2:] != (h, w):
                raise ValueError(
                    f"augment input {i} has shape {list(img.shape)}; every batch of one call must be "
                    f"[{n}, C, {h}, {w}] so that they can share one transform"
                )
        out = self.apply(list(imgs))
        return out[0] if len(imgs) == 1 else tuple(out)

    def apply(self, imgs: list[torch.Tensor]) -> list[torch.Tensor]:
        raise NotImplementedError

    @property
    def active(self) -> bool:
        """Whether the augment can change an image at all (False lets the trainer skip it)."""
        return True

    def rand(self, *shape: int, device: torch.device) -> torch.Tensor:
        """U(0, 1) draws from the augment stream, made on the generator's device and moved to `device`."""
        return torch.rand(*shape, generator=self.generator, device=self.generator.device).to(device)

    def randn(self, *shape: int, device: torch.device) -> torch.Tensor:
        """N(0, 1) draws from the augment stream, made on the generator's device and moved to `device`."""
        return torch.randn(*shape, generator=self.generator, device=self.generator.device).to(device)

    def log_values(self) -> dict[str, torch.Tensor]:
        """Values for the tick record, such as ADA's probability (none by default)."""
        return {}

    def state_dict(self) -> dict:
        """State that must travel in checkpoints beyond the generator (none by default)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what `state_dict` returned."""


class Identity(Augment):
    """No augmentation: every batch is returned as it is."""

    def apply(self, imgs: list[torch.Tensor]) -> list[torch.Tensor]:
        return imgs

    @property
    def active(self) -> bool:
        return False
