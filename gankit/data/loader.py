"""A seeded, resumable batch stream over an in-memory dataset, sharded across ranks."""

from collections.abc import Callable

import torch

from gankit.data.dataset import ImageDataset, to_float
from gankit.errors import ConfigError


class BatchStream:
    """Endless shuffled batches; the order is a pure function of (seed, epoch), so it resumes exactly.

    Each epoch is a fresh permutation; the global batch is cut from it in order and each rank takes
    its contiguous slice, so ranks see distinct images. An incomplete last batch of an epoch is dropped.

    Args:
        dataset: the decoded images.
        batch_size: the global batch size (all ranks together).
        seed: the run seed.
        rank, world_size: this process's place in the job.
        device: where batches go.
        channels_last: whether batches use the channels-last memory format.
        transform: (images, epoch, offset) -> images, applied to each float batch (dataset-side augmentation).
    """

    def __init__(
        self,
        dataset: ImageDataset,
        batch_size: int,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        device: torch.device | str = "cpu",
        channels_last: bool = False,
        transform: Callable[[torch.Tensor, int, int], torch.Tensor] | None = None,
    ) -> None:
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.rank, self.world_size = rank, world_size
        self.check_batch_size(batch_size)
        self.device = torch.device(device)
        self.channels_last = channels_last
        self.transform = transform
        self.epoch, self.position = 0, 0
        self._perm = self._permutation(0)

    def check_batch_size(self, batch_size: int, key: str = "train.batch_size") -> None:
        """Raise ConfigError unless `batch_size` splits evenly across ranks and fits in the dataset.

        The stream's `batch_size` may change between batches (a game's schedule sets it); the order stays a
        pure function of the seed and the sizes drawn.
        """
        if batch_size % self.world_size:
            raise ConfigError(
                f"{key}={batch_size} is not divisible by world_size={self.world_size}; "
                f"pick a multiple of {self.world_size}"
            )
        if batch_size > len(self.dataset):
            raise ConfigError(
                f"{key}={batch_size} exceeds the dataset size {len(self.dataset)}; lower {key} to at most "
                f"{len(self.dataset)} or add images"
            )

    def _permutation(self, epoch: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(len(self.dataset), generator=gen)

    def next_indices(self) -> torch.Tensor:
        """The dataset indices of this rank's next batch [batch_size // world_size]."""
        if self.position + self.batch_size > len(self.dataset):
            self.epoch, self.position = self.epoch + 1, 0
            self._perm = self._permutation(self.epoch)
        local = self.batch_size // self.world_size
        start = self.position + self.rank * local
        idx = self._perm[start : start + local]
        self.position += self.batch_size
        return idx

    def next(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(images [B, C, H, W] float in [-1, 1] on the device, labels [B] or None)."""
        idx = self.next_indices()
        img = self.dataset.images[idx].to(self.device, non_blocking=True)
        img = to_float(img) if img.dtype == torch.uint8 else img  # point data is stored as float already
        if self.transform is not None:
            offset = self.position - self.batch_size + self.rank * len(idx)  # this slice's place in the epoch's order
            img = self.transform(img, self.epoch, offset)
        if self.channels_last and img.ndim == 4:
            img = img.contiguous(memory_format=torch.channels_last)
        labels = self.dataset.labels
        return img, (labels[idx].to(self.device) if labels is not None else None)

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self._perm = self._permutation(self.epoch)
