"""Open a finished or running run folder to sample from its EMA generator."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import torch

from gankit.config import Config, read_yaml, validate
from gankit.errors import CheckpointError, ConfigError
from gankit.nets import build_generator
from gankit.nn.resize import upsample_to_at_least
from gankit.nn.truncation import truncated_normal
from gankit.registry import GENERATORS
from gankit.train import checkpoint as ckpt
from gankit.train.conditioning import LabelSource

NoiseMode = Literal["const", "random", "none"]
NOISE_MODES = get_args(NoiseMode)
_NOISE_SEED_MIX = 0x9E3779B97F4A7C15  # odd 64-bit constant: decorrelates the noise seeds from the latent seeds


def style_generator_names() -> list[str]:
    """Registered generators with a mapping network (truncation in W, style mixing, noise inputs)."""
    return [n for n in GENERATORS.names() if getattr(GENERATORS.get(n).build, "truncates_in_w", False)]


def _noise_generator(seed: int, index: int) -> torch.Generator:
    """The random stream of sample `index`'s noise maps for latent seed `seed` (CPU, so any device agrees)."""
    return torch.Generator().manual_seed((seed * _NOISE_SEED_MIX + index + 1) % 2**64)


@dataclass
class StyleMix:
    """A style-mixing grid (StyleGAN figure 3): row sources give the layers before the crossover, column
    sources the layers from it on.

    Attributes:
        row_images: [R, C, H, W], the images of the row seeds.
        col_images: [K, C, H, W], the images of the column seeds.
        mixed: [R, K, C, H, W]; mixed[i, j] takes ws[:crossover] from row seed i and ws[crossover:] from
            column seed j.
        crossover: the first layer taken from the column seeds.
    """

    row_images: torch.Tensor
    col_images: torch.Tensor
    mixed: torch.Tensor
    crossover: int

    def grid(self) -> tuple[torch.Tensor, int]:
        """(images [(R+1) * (K+1), C, H, W], K+1 per row): a blank (white) corner, the column sources
        along the top, each row's source at its left, then its mixes."""
        num_cols = self.mixed.shape[1]
        corner = torch.ones_like(self.col_images[:1])
        top = torch.cat([corner, self.col_images])  # [K+1, C, H, W]
        rows = torch.cat([self.row_images[:, None], self.mixed], dim=1)  # [R, K+1, C, H, W]
        return torch.cat([top, rows.flatten(0, 1)]), num_cols + 1


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
            if not isinstance(label, int) or isinstance(label, bool):
                raise ConfigError(
                    f"--label {label!r}: this run is class-conditional ({k} classes), not conditioned on label "
                    f"vectors; give a class with --class 0..{k - 1}"
                )
            if not 0 <= label < k:
                raise ConfigError(f"--class {label!r} is out of range; this run has classes 0..{k - 1}")
            return torch.full((n,), label)
        if isinstance(label, int | float):
            raise ConfigError(
                f"--class {label!r}: this run is conditioned on label vectors of {source.label_dim} numbers, not "
                f"classes; give a vector with --label and {source.label_dim} comma-separated values"
            )
        if len(label) != source.label_dim:
            raise ConfigError(
                f"--label {label!r}: this run is conditioned on label vectors of {source.label_dim} numbers; "
                f"give {source.label_dim} comma-separated values"
            )
        vector = torch.tensor([float(v) for v in label], dtype=torch.float32)
        if not torch.isfinite(vector).all():
            raise ConfigError(f"--label {label!r} has a non-finite value")
        return vector.expand(n, -1).clone()

    def _style_generator(self, what: str) -> torch.nn.Module:
        """G when it has a mapping network; else a ConfigError naming `what` and the generators that have one."""
        if not getattr(self.G, "truncates_in_w", False):
            raise ConfigError(
                f"{what} needs a generator with a mapping network, but this run's generator.name="
                f"'{self.cfg.generator.name}' has none; generators that support it: "
                f"{', '.join(style_generator_names())}"
            )
        return self.G

    def _check_style_options(self, truncation_cutoff: int | None, noise: str | None, truncation: float) -> None:
        """Validate truncation_cutoff and noise against G (only style-based generators take them)."""
        if truncation_cutoff is not None:
            G = self._style_generator(f"truncation_cutoff={truncation_cutoff}")
            if truncation == 1:
                raise ConfigError(
                    f"truncation_cutoff={truncation_cutoff} has no effect without truncation: add a truncation psi "
                    "below 1 (CLI: --truncation 0.7)"
                )
            if isinstance(truncation_cutoff, bool) or not isinstance(truncation_cutoff, int):
                raise ConfigError(f"truncation_cutoff={truncation_cutoff!r} must be a whole number of layers")
            if not 1 <= truncation_cutoff <= G.num_ws:
                raise ConfigError(
                    f"truncation_cutoff={truncation_cutoff} is out of range: this generator has {G.num_ws} style "
                    f"layers (ws), so pick 1..{G.num_ws} (layers before the cutoff are truncated)"
                )
        if noise is not None:
            G = self._style_generator(f"noise='{noise}'")
            if not getattr(G, "has_noise_inputs", True):
                raise ConfigError(
                    f"noise='{noise}': this run's generator.name='{self.cfg.generator.name}' has no noise inputs "
                    "(StyleGAN3 removed them), so there is nothing to choose; drop the noise option"
                )
            if noise not in NOISE_MODES:
                raise ConfigError(f"noise={noise!r} is not known; choices: {', '.join(NOISE_MODES)}")

    @torch.no_grad()
    def sample(
        self,
        n: int,
        seed: int = 0,
        truncation: float = 1.0,
        batch_size: int = 256,
        label: int | Sequence[float] | None = None,
        truncation_cutoff: int | None = None,
        noise: NoiseMode | None = None,
        rows: slice | None = None,
    ) -> torch.Tensor:
        """n images [n, C, H, W] in [-1, 1] at data.resolution, the same for the same seed whatever the batch size.

        A class-conditional run draws class `label`, or every class in turn when `label` is None; a
        label-vector run draws vector `label`, or the run's saved label vectors in turn. A progressively
        grown G that stopped below the final resolution is upsampled to it (see `growth_note`).

        Args:
            n: number of samples.
            seed: latent seed.
            truncation: psi in [0, 1]; in W (towards the average w) for generators with a mapping network,
                else towards the mean latent.
            batch_size: samples per forward pass (does not change the images).
            label: class or label vector for conditional runs.
            rows: keep only these rows of the n (a rank's share under torchrun), drawn exactly as in the full set.
            truncation_cutoff: mapping-network generators only: truncate the first this many ws (of G.num_ws);
                None truncates all.
            noise: mapping-network generators only: "const" (the fixed noise maps; the default), "random"
                (fresh maps per sample, drawn from `seed` and the sample's index, so still repeatable) or "none".

        Raises:
            ConfigError: for a truncation_cutoff or noise on a generator without a mapping network, or out of range.
        """
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive number of samples, got {n!r}")
        if not 0 <= truncation <= 1:  # also rejects NaN
            raise ConfigError(f"truncation={truncation} must be in [0, 1] (1: no truncation)")
        self._check_style_options(truncation_cutoff, noise, truncation)
        w_space = getattr(self.G, "truncates_in_w", False)  # mapping-network generators truncate w, not z
        z = self.latents(n, seed, 1.0 if w_space else truncation)
        kwargs = {"truncation_psi": truncation} if w_space else {}
        if truncation_cutoff is not None:
            kwargs["truncation_cutoff"] = truncation_cutoff
        if noise is not None:
            kwargs["noise_mode"] = noise
        c = self.labels(n, label)
        first = 0
        if rows is not None:
            z, c = z[rows], (c[rows] if c is not None else None)
            first = range(n)[rows][0] if len(z) else 0  # the global index of the first kept row

        # Random noise: one sample per call, each with its own stream, so no sample depends on the batch.
        if noise == "random":
            batch_size = 1
        chunks = []
        for i in range(0, len(z), batch_size):
            inputs = [z[i : i + batch_size]] + ([c[i : i + batch_size].to(self.device)] if c is not None else [])
            if noise == "random":
                kwargs["generator"] = _noise_generator(seed, first + i)
            chunks.append(self.G(*inputs, **kwargs))
        return upsample_to_at_least(torch.cat(chunks), self.cfg.data.resolution).cpu()

    @property
    def growth_note(self) -> str | None:
        """A sentence saying that G had not grown to the final resolution at this checkpoint, else None."""
        res, final = getattr(self.G, "current_resolution", None), self.cfg.data.resolution
        if res is None or (res >= final and self.G.alpha >= 1):
            return None
        note = f"G was still growing at this checkpoint: at {self.G.growth_summary()}, not yet {final}x{final} alone"
        return note + (f"; its {res}x{res} images are upsampled to {final}x{final}" if res < final else "")

    @torch.no_grad()
    def style_mix(
        self,
        row_seeds: Sequence[int],
        col_seeds: Sequence[int],
        crossover: int,
        truncation: float = 1.0,
        truncation_cutoff: int | None = None,
        noise: NoiseMode | None = None,
    ) -> StyleMix:
        """Style mixing (StyleGAN section 3.1, figure 3): each row seed's ws before layer `crossover`, each
        column seed's from it on.

        Seed s is the latent of `sample(1, seed=s)`, so the source images equal those samples. Layers come
        in pairs per resolution from 4x4 up: a small crossover takes only the coarse styles (pose, shape)
        from the rows, a large one all but the finest (colour, texture).

        Args:
            row_seeds: latent seeds of the rows (R of them).
            col_seeds: latent seeds of the columns (K of them).
            crossover: the first layer taken from the column seeds, in 1..G.num_ws - 1.
            truncation, truncation_cutoff: truncation in W of every latent, as in `sample`.
            noise: as in `sample`; with "random" a mixed image keeps its row seed's noise.

        Returns:
            StyleMix with row_images [R, C, H, W], col_images [K, C, H, W] and mixed [R, K, C, H, W] in [-1, 1].

        Raises:
            ConfigError: when G has no mapping network, a seed list is empty or crossover is out of range.
        """
        G = self._style_generator("style mixing")
        self._check_style_options(truncation_cutoff, noise, truncation)
        if not 0 <= truncation <= 1:  # also rejects NaN
            raise ConfigError(f"truncation={truncation} must be in [0, 1]")
        row_seeds, col_seeds = list(row_seeds), list(col_seeds)
        for name, seeds in (("row_seeds", row_seeds), ("col_seeds", col_seeds)):
            if not seeds or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds):
                raise ConfigError(f"{name}={seeds!r}: expected a non-empty list of seeds (whole numbers >= 0)")
        if isinstance(crossover, bool) or not isinstance(crossover, int) or not 1 <= crossover < G.num_ws:
            raise ConfigError(
                f"crossover={crossover!r} is out of range: this generator has {G.num_ws} style layers (ws 0.."
                f"{G.num_ws - 1}), so pick 1..{G.num_ws - 1} (layers before it come from the row seeds)"
            )

        # Map every seed's latent to ws, truncated as in `sample`.
        def map_seeds(seeds: list[int]) -> torch.Tensor:
            z = torch.cat([self.latents(1, seed) for seed in seeds])  # [S, z_dim]
            return G.mapping(z, truncation, truncation_cutoff)  # [S, num_ws, w_dim]

        ws_rows, ws_cols = map_seeds(row_seeds), map_seeds(col_seeds)
        num_rows, num_cols = len(row_seeds), len(col_seeds)
        ws_mixed = ws_rows[:, None].repeat(1, num_cols, 1, 1)  # [R, K, num_ws, w_dim]
        ws_mixed[:, :, crossover:] = ws_cols[None, :, crossover:]

        # Synthesize one image per call when noise is random (each with its row seed's stream), else batched.
        def synthesize(ws: torch.Tensor, seeds: list[int]) -> torch.Tensor:
            if noise != "random":
                kwargs = {} if noise is None else {"noise_mode": noise}
                return torch.cat([G.synthesis(chunk, **kwargs) for chunk in ws.split(256)]).cpu()
            return torch.cat(
                [
                    G.synthesis(w[None], noise_mode="random", generator=_noise_generator(s, 0))
                    for w, s in zip(ws, seeds, strict=True)
                ]
            ).cpu()

        mixed = synthesize(ws_mixed.flatten(0, 1), [s for s in row_seeds for _ in range(num_cols)])
        return StyleMix(
            row_images=synthesize(ws_rows, row_seeds),
            col_images=synthesize(ws_cols, col_seeds),
            mixed=mixed.reshape(num_rows, num_cols, *mixed.shape[1:]),  # [R*K, C, H, W] -> [R, K, C, H, W]
            crossover=crossover,
        )
