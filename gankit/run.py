"""Open a finished or running run folder to sample from its EMA generator."""

from collections.abc import Sequence
from pathlib import Path

import torch

from gankit.config import Config, read_yaml, validate
from gankit.errors import CheckpointError, ConfigError
from gankit.nets import build_generator
from gankit.nn.truncation import truncated_normal
from gankit.train import checkpoint as ckpt
from gankit.train.conditioning import LabelSource


class Run:
    """A run folder's config and generator.

    Attributes:
        path: the run folder.
        cfg: its resolved config.
        checkpoint: the checkpoint folder the weights came from.
        G: the EMA generator in eval mode.
        kimg: the training progress of that checkpoint.
    """

    def __init__(
        self,
        path: Path,
        cfg: Config,
        checkpoint: Path,
        G: torch.nn.Module,
        kimg: float,
        label_source: LabelSource | None = None,
    ) -> None:
        self.path, self.cfg, self.checkpoint, self.G, self.kimg = path, cfg, checkpoint, G, kimg
        self.label_source = label_source  # None when unconditional

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> "Run":
        """Load `path` (a run folder or one of its checkpoint folders) onto `device`."""
        path = Path(path)
        if not path.exists():
            raise CheckpointError(f"run folder '{path}' does not exist")
        checkpoint = ckpt.resolve_checkpoint(path)
        try:
            meta = ckpt.load_meta(checkpoint)
            cfg = validate(meta["config"]) if "config" in meta else validate(read_yaml(path / "config.yaml"))
            G = build_generator(cfg)
            try:
                G.load_state_dict(ckpt.load_weights(checkpoint, "G_ema"))
            except RuntimeError as exc:
                raise CheckpointError(
                    f"'{checkpoint}/G_ema.safetensors' does not match the run's config: {exc}"
                ) from None
        except CheckpointError as exc:
            older = [p for p in ckpt.list_checkpoints(checkpoint.parent) if p.name < checkpoint.name]
            hint = f"; the previous checkpoint is {older[-1]}: pass it to --run to use it" if older else ""
            raise CheckpointError(f"{exc}{hint}") from None
        run_dir = checkpoint.parent.parent if checkpoint.parent.name == "checkpoints" else path
        G = G.to(device).eval().requires_grad_(False)
        return cls(run_dir, cfg, checkpoint, G, float(meta.get("kimg", 0)), LabelSource.from_meta(cfg, meta))

    @property
    def device(self) -> torch.device:
        return next(self.G.parameters()).device

    def latents(self, n: int, seed: int = 0, truncation: float = 1.0) -> torch.Tensor:
        """Latents [n, z_dim] from `seed`; truncation psi < 1 pulls z towards the mean latent 0 (z = psi * z).

        Generators with a mapping network truncate in W instead; for a Z-space generator the mean
        latent is the origin, so this is the same rule with w_avg = 0.
        """
        if not 0 <= truncation <= 1:  # also rejects NaN
            raise ConfigError(f"truncation={truncation} must be in [0, 1]")
        gen = torch.Generator().manual_seed(seed)
        if getattr(self.G, "truncates_by_resampling", False) and truncation < 1:
            # BigGAN's trick: values beyond a threshold are redrawn; psi maps to the threshold 2 * psi.
            return truncated_normal((n, self.G.z_dim), max(2 * truncation, 1e-3), gen).to(self.device)
        z = torch.randn(n, self.G.z_dim, generator=gen)
        return (z * truncation).to(self.device)

    @property
    def num_classes(self) -> int:
        """Classes of a class-conditional run (data.conditional), 0 for an unconditional or label-vector one."""
        return self.label_source.num_classes if self.label_source else 0

    @property
    def label_dim(self) -> int:
        """Length of the label vectors of a run conditioned on them, else 0."""
        return self.label_source.label_dim if self.label_source else 0

    def labels(self, n: int, label: int | Sequence[float] | None = None) -> torch.Tensor | None:
        """Labels for a conditional G: n copies of `label`, or when None a fixed cycle.

        Class runs take an integer class and cycle classes 0, 1, ..., K-1 (balanced); label-vector runs
        take a vector of data.label_dim floats and cycle the label vectors the run saved from its data.
        """
        source = self.label_source
        if source is None:
            if label is not None:
                flag = "--class" if isinstance(label, int) else "--label"
                raise ConfigError(f"{flag} {label!r}: this run is not class-conditional (data.conditional is false)")
            return None
        if label is None:
            return source.cycle(n)
        if source.num_classes:
            k = source.num_classes
            if not isinstance(label, int) or isinstance(label, bool) or not 0 <= label < k:
                raise ConfigError(f"--class {label!r} is out of range; this run has classes 0..{k - 1}")
            return torch.full((n,), label)
        if isinstance(label, int | float) or len(label) != source.label_dim:
            raise ConfigError(
                f"--label {label!r}: this run is conditioned on label vectors of {source.label_dim} numbers; "
                f"give {source.label_dim} comma-separated values"
            )
        vector = torch.tensor([float(v) for v in label], dtype=torch.float32)
        if not torch.isfinite(vector).all():
            raise ConfigError(f"--label {label!r} has a non-finite value")
        return vector.expand(n, -1).clone()

    @torch.no_grad()
    def sample(
        self,
        n: int,
        seed: int = 0,
        truncation: float = 1.0,
        batch_size: int = 256,
        label: int | Sequence[float] | None = None,
        rows: slice | None = None,
    ) -> torch.Tensor:
        """n images [n, C, H, W] in [-1, 1], the same for the same seed whatever the batch size.

        A class-conditional run draws class `label`, or every class in turn when `label` is None; a
        label-vector run draws vector `label`, or the run's saved label vectors in turn. `rows` keeps only
        those rows of the n (a rank's share under torchrun), drawn exactly as in the full set.
        """
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive number of samples, got {n!r}")
        w_space = getattr(self.G, "truncates_in_w", False)  # mapping-network generators truncate w, not z
        z = self.latents(n, seed, 1.0 if w_space else truncation)
        kwargs = {"truncation_psi": truncation} if w_space else {}
        c = self.labels(n, label)
        if rows is not None:
            z, c = z[rows], (c[rows] if c is not None else None)
        chunks = []
        for i in range(0, len(z), batch_size):
            inputs = [z[i : i + batch_size]] + ([c[i : i + batch_size].to(self.device)] if c is not None else [])
            chunks.append(self.G(*inputs, **kwargs))
        return torch.cat(chunks).cpu()
