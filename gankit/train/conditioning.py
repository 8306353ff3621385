"""Labels of a conditional run: check them against the config, and draw them for pictures and sampling.

A conditional run has integer classes (data.num_classes) or float label vectors (data.label_dim),
both taken from the dataset. Class labels for pictures cycle 0..K-1. Label vectors have no such
enumeration, so the run keeps a bank: up to BANK_SIZE vectors of the training set in a seeded order,
saved with every checkpoint, which sampling cycles through unless the user gives a vector.
"""

import torch

from gankit.config import Config
from gankit.errors import ConfigError, DataError

BANK_SIZE = 256


def resolve_labels(cfg: Config, dataset) -> None:
    """For `data.conditional`, check the dataset has labels and fill `data.num_classes` or `data.label_dim`."""
    if not cfg.data.conditional:
        return
    if dataset.labels is None:
        raise DataError(
            f"data.conditional=true, but {dataset.name} has no labels; use labelled data or drop data.conditional"
        )
    if dataset.num_classes is None:  # float label vectors [N, L]
        _fill("label_dim", cfg, dataset.labels.shape[1], f"{dataset.name} has label vectors of length {{}}")
        labels = dataset.labels
        if getattr(cfg.discriminator, "conditioning", None) == "acgan" and (labels.min() < 0 or labels.max() > 1):
            raise DataError(
                f"discriminator.conditioning='acgan' predicts label vectors as attribute probabilities, but "
                f"{dataset.name} has values in [{labels.min().item():g}, {labels.max().item():g}], outside [0, 1]; "
                "use 'projection' or 'concat' for continuous labels"
            )
        return
    _fill("num_classes", cfg, dataset.num_classes, f"{dataset.name} has {{}} classes")


def _fill(key: str, cfg: Config, value: int, what: str) -> None:
    # Set data.<key> from the dataset (`what` describes it, with {} for the value), or check the given one.
    other = "label_dim" if key == "num_classes" else "num_classes"
    if getattr(cfg.data, other) is not None:
        given = getattr(cfg.data, other)
        raise ConfigError(f"data.{other}={given}, but {what.format(value)}; drop data.{other}")
    given = getattr(cfg.data, key)
    if given is None:
        setattr(cfg.data, key, value)
    elif given != value:
        raise ConfigError(f"data.{key}={given}, but {what.format(value)}; drop the key to take it from the dataset")


class LabelSource:
    """Labels for a conditional G outside training batches (grids, BN recalibration, sampling).

    Args:
        num_classes: K for class labels, else 0.
        bank: float label vectors [B, L] to draw from when the run has vectors, else None.
    """

    def __init__(self, num_classes: int = 0, bank: torch.Tensor | None = None) -> None:
        if bool(num_classes) == (bank is not None):
            raise ValueError("LabelSource takes class labels (num_classes) or a bank of label vectors")
        self.num_classes, self.bank = num_classes, bank

    @classmethod
    def for_run(cls, cfg: Config, dataset) -> "LabelSource | None":
        """The source of a training run (None when unconditional); vectors come from a seeded subset of the data."""
        if not cfg.data.conditional:
            return None
        if cfg.data.num_classes is not None:
            return cls(num_classes=cfg.data.num_classes)
        order = torch.randperm(len(dataset.labels), generator=torch.Generator().manual_seed(cfg.seed))
        return cls(bank=dataset.labels[order[:BANK_SIZE]].float())

    @classmethod
    def from_meta(cls, cfg: Config, meta: dict) -> "LabelSource | None":
        """The source a checkpoint describes: its config's classes, or the bank saved in its metadata."""
        if not cfg.data.conditional:
            return None
        if cfg.data.num_classes is not None:
            return cls(num_classes=cfg.data.num_classes)
        if "label_bank" not in meta:
            raise ConfigError("this checkpoint of a label-vector run has no label bank; pass a label vector")
        return cls(bank=torch.tensor(meta["label_bank"], dtype=torch.float32))

    @property
    def label_dim(self) -> int:
        return 0 if self.bank is None else self.bank.shape[1]

    def cycle(self, n: int) -> torch.Tensor:
        """n labels in a fixed order: classes 0, 1, ..., K-1, 0, ..., or the bank's vectors in turn."""
        if self.num_classes:
            return torch.arange(n) % self.num_classes
        return self.bank[torch.arange(n) % len(self.bank)]

    def random(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n labels drawn uniformly (classes, or vectors of the bank)."""
        if self.num_classes:
            return torch.randint(self.num_classes, (n,), generator=generator)
        return self.bank[torch.randint(len(self.bank), (n,), generator=generator)]

    def meta(self) -> dict:
        """What a checkpoint stores to rebuild this source: the bank of a label-vector run."""
        return {} if self.bank is None else {"label_bank": self.bank.tolist()}
