"""Typed config: YAML presets, dotted overrides, validation with errors that name the key.

A config is a tree of pydantic models. The `generator` and `discriminator` sections are validated
by the options model that the chosen family registers (see `registry.py`), so each family declares
its own keys. Unknown keys, wrong types and unknown names fail before anything is built, with the
closest valid key in the message.
"""

import difflib
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gankit.augment.options import AdaOptions, DatasetTransformOptions
from gankit.errors import ConfigError
from gankit.registry import DISCRIMINATORS, GENERATORS, LOSSES, suggest

PRESET_DIR = Path(__file__).parent / "presets"


class Section(BaseModel):
    """Base for config sections: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value: Any, info) -> Any:
        # YAML's true/yes would otherwise pass as the number 1.
        annotation = cls.model_fields[info.field_name].annotation
        if isinstance(value, bool) and annotation in (int, float, int | None, float | None):
            raise ValueError(f"expected a number, got the boolean {str(value).lower()}")
        return value


class DataConfig(Section):
    """Where the training images come from."""

    # ring8, grid25: 2-D Gaussian mixtures (point data); stacked-digits: three digits as RGB (1,000 modes)
    source: Literal["digits", "stacked-digits", "folder", "ring8", "grid25"] = "digits"
    path: str | None = None  # folder or .zip of images, for source 'folder'
    resolution: int = Field(32, ge=4, le=2048)
    channels: Literal[1, 3] = 1
    skip_bad: bool = False  # skip unreadable files (and count them) instead of failing
    max_images: int | None = Field(None, ge=1)
    # Labels of a folder or zip: "auto" reads dataset.json at its root if present, "file" requires it,
    # "folders" takes each image's top-level sub-folder as its class, "none" ignores labels.
    labels: Literal["auto", "none", "file", "folders"] = "auto"
    conditional: bool = False  # train class-conditional G and D on the dataset's labels (cGAN)
    num_classes: int | None = Field(None, ge=2)  # filled from the dataset when conditional; checked if given
    # Length of the dataset's float label vectors (multi-label or continuous attributes), filled from the
    # dataset when conditional; a run has either classes or label vectors.
    label_dim: int | None = Field(None, ge=1)

    @field_validator("path")
    @classmethod
    def _expand_home(cls, path: str | None) -> str | None:
        return os.path.expanduser(path) if path else path  # "~/images" as a shell would read it

    @model_validator(mode="after")
    def _check(self):
        if self.resolution & (self.resolution - 1):
            raise ValueError(f"data.resolution={self.resolution} is not a power of two; use e.g. 16, 32 or 64")
        if self.source != "folder" and self.path:
            raise ValueError(
                f"data.path={self.path!r} is only read with data.source='folder', not '{self.source}'; "
                "set that or drop the path"
            )
        if self.num_classes is not None and self.label_dim is not None:
            raise ValueError(
                f"data.num_classes={self.num_classes} and data.label_dim={self.label_dim}: a dataset has class "
                "labels or label vectors, not both; drop one (both are filled from the dataset)"
            )
        if self.source == "folder" and not self.path:
            raise ValueError("data.path is required when data.source='folder'; set it to a folder or .zip of images")
        return self


class LossConfig(Section):
    """The adversarial loss and its penalties.

    A penalty whose interval is 1 is a term of every D step; with a larger interval it is a lazy
    phase of its own every that many steps, its weight multiplied by the interval (StyleGAN2).
    """

    name: str = "non-saturating"
    options: dict[str, Any] = {}  # the loss's own options (e.g. lsgan: a, b, c), checked by its options model
    r1_gamma: float = Field(0.0, ge=0)  # weight of the R1 penalty on reals; 0 turns it off
    r1_interval: int = Field(16, ge=1)  # lazy R1: run the penalty phase every this many steps
    # Path-length regularization (StyleGAN2 eq. 4), used by train.game='stylegan2'; 0 turns it off.
    pl_weight: float = Field(0.0, ge=0)
    pl_interval: int = Field(4, ge=1)  # lazy: run the penalty phase every this many steps
    pl_decay: float = Field(0.01, gt=0, le=1)  # decay of the running mean path length
    pl_batch_shrink: int = Field(2, ge=1)  # the penalty's batch is batch_size // this
    # StyleGAN3-R: blur every image D sees by a Gaussian of this many pixels, fading to 0 over blur_fade_kimg
    # (train.game='stylegan2' only; the paper: 10 px over 200 kimg). 0 turns it off.
    blur_sigma: float = Field(0.0, ge=0)
    blur_fade_kimg: float = Field(200.0, ge=0)
    ortho_beta: float = Field(0.0, ge=0)  # BigGAN's orthogonal regularization of G in its phase (paper: 1e-4)
    aux_weight: float = Field(1.0, ge=0)  # AC-GAN (discriminator.conditioning='acgan'): weight of the class losses
    r2_gamma: float = Field(0.0, ge=0)  # weight of the zero-centred R2 penalty on fakes; 0 turns it off
    r2_interval: int = Field(16, ge=1)  # steps between R2 penalty phases
    gp_weight: float = Field(0.0, ge=0)  # lambda of the WGAN-GP penalty at interpolates (the paper: 10); 0: off
    gp_interval: int = Field(1, ge=1)  # steps between gradient-penalty updates (1: a term of every D step)
    gp_center: float = Field(1.0, ge=0)  # target gradient norm of the gradient penalty (0: zero-centred)
    dragan_weight: float = Field(0.0, ge=0)  # lambda of the DRAGAN penalty at perturbed reals (the paper: 10)
    dragan_interval: int = Field(1, ge=1)  # steps between DRAGAN penalty updates
    dragan_scale: float = Field(0.5, gt=0)  # perturbation size relative to the std of the real batch

    @field_validator("name")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in LOSSES.names():
            raise ValueError(f"'{v}' is not a known loss; {suggest(v, LOSSES.names())}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _loss_options(cls, raw: Any) -> Any:
        # Validate `options` with the chosen loss's model and store its resolved values (defaults included).
        if not isinstance(raw, dict) or not isinstance(raw.get("name", "non-saturating"), str):
            return raw
        name = raw.get("name", "non-saturating")
        if name not in LOSSES.names():
            return raw  # the name's own validator reports it
        given = raw.get("options") or {}
        if not isinstance(given, dict):
            raise ValueError(f"loss.options must be a mapping of the loss's options, got {given!r}")
        model = LOSSES.get(name).options
        try:
            resolved = model.model_validate(given).model_dump()
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(p) for p in err["loc"])
            valid = ", ".join(model.model_fields) or "none"
            raise ValueError(
                f"loss.options.{key}={err.get('input')!r} for loss '{name}': {err['msg']}; valid options: {valid}"
            ) from None
        return {**raw, "options": resolved}

    @model_validator(mode="after")
    def _check_penalties(self):
        if self.name == "wgan-gp" and self.gp_weight == 0:
            raise ValueError(
                "loss.name='wgan-gp' needs its gradient penalty: set loss.gp_weight (the paper uses 10), "
                "or use loss.name='wgan' for weight clipping"
            )
        return self


class AugmentConfig(Section):
    """Augmentation: DiffAugment (Zhao et al. 2020) or ADA (Karras et al. 2020) on every image D sees,
    and transforms of the reals as they leave the dataset."""

    diffaugment: list[Literal["color", "translation", "cutout"]] = []
    translation_ratio: float = Field(0.125, ge=0, le=0.5)
    cutout_ratio: float = Field(0.5, ge=0, le=1)
    ada: AdaOptions = AdaOptions()
    dataset: DatasetTransformOptions = DatasetTransformOptions()

    @model_validator(mode="after")
    def _one_kind(self):
        if self.diffaugment and self.ada.mode != "none":
            raise ValueError(
                f"augment.diffaugment={self.diffaugment} and augment.ada.mode={self.ada.mode!r} are both set; "
                "pick one (set augment.diffaugment=[] or augment.ada.mode=none)"
            )
        return self


class ProgressiveConfig(Section):
    """Progressive growing (train.game='progressive', Karras et al. 2018): from 4x4 up to data.resolution.

    4x4 trains for `stabilize_kimg`; every higher resolution first fades in over `fade_kimg` (alpha from
    0 to 1), then trains alone for `stabilize_kimg`; the last one trains until train.total_kimg.
    """

    fade_kimg: float = Field(800.0, ge=0)  # the paper: 800k images per fade-in
    stabilize_kimg: float = Field(800.0, ge=0)  # the paper: 800k images per stabilization
    batch_sizes: dict[int, int] = {}  # global batch per resolution, e.g. {4: 64, 32: 32}; others: train.batch_size

    @model_validator(mode="after")
    def _check(self):
        if self.fade_kimg + self.stabilize_kimg <= 0:
            raise ValueError(
                "train.progressive.fade_kimg and train.progressive.stabilize_kimg are both 0, so every resolution "
                "would be reached at once; give them lengths in kimg (the paper: 800 each)"
            )
        for res, size in self.batch_sizes.items():
            if res < 4 or res & (res - 1):
                raise ValueError(
                    f"train.progressive.batch_sizes has the key {res}, which is not a resolution of the growth; "
                    "use powers of two from 4 up to data.resolution, e.g. {4: 64, 8: 64, 16: 32}"
                )
            if size < 1:
                raise ValueError(f"train.progressive.batch_sizes[{res}]={size}; a batch size must be at least 1")
        return self


class TrainConfig(Section):
    """The game's schedule, optimizers and bookkeeping."""

    game: Literal["unconditional", "stylegan2", "unrolled", "progressive"] = "unconditional"
    progressive: ProgressiveConfig = ProgressiveConfig()  # the growth schedule of game 'progressive'
    unroll_steps: int = Field(0, ge=0)  # game 'unrolled': look-ahead D steps G's loss is taken after (Metz et al.)
    optimizer: Literal["adam", "rmsprop"] = "adam"  # rmsprop (WGAN's) ignores the betas
    batch_size: int = Field(64, ge=1)  # global batch, split across ranks
    total_kimg: float = Field(100.0, gt=0)
    d_steps: int = Field(1, ge=1)  # D phases per G phase, each on a fresh real batch
    reuse_fakes: bool = True  # G phase reuses the last D phase's fakes (textbook DCGAN); else fresh latents
    lr_g: float = Field(2e-4, gt=0)
    lr_d: float = Field(2e-4, gt=0)
    betas_g: tuple[float, float] = (0.5, 0.999)
    betas_d: tuple[float, float] = (0.5, 0.999)

    @field_validator("betas_g", "betas_d", mode="before")
    @classmethod
    def _two_betas(cls, v: Any) -> Any:
        if isinstance(v, list | tuple) and len(v) != 2:
            raise ValueError(f"expected two Adam betas [beta1, beta2], e.g. [0.5, 0.999], got {len(v)} values")
        return v

    @field_validator("betas_g", "betas_d")
    @classmethod
    def _betas(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not all(0 <= b < 1 for b in v):
            raise ValueError(f"Adam betas {list(v)} must each be in [0, 1), e.g. [0.5, 0.999]")
        return v

    lr_decay: Literal["constant", "linear"] = "constant"  # linear: to 0 at total_kimg (pix2pix/CycleGAN)
    lr_decay_start_kimg: float = Field(0.0, ge=0)  # where the linear decay starts
    ema_halflife_kimg: float = Field(10.0, ge=0)  # 0 turns the EMA of G off
    ema_rampup: float | None = Field(0.05, ge=0)  # half-life at most this fraction of images seen
    tick_kimg: float = Field(4.0, gt=0)
    snapshot_ticks: int = Field(5, ge=1)  # sample grid and checkpoint every this many ticks
    keep_checkpoints: int = Field(2, ge=1)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    channels_last: bool = True
    bn_recalibration_batches: int = Field(8, ge=0)  # standing BN statistics for G_ema before sampling
    max_nonfinite_steps: int = Field(8, ge=1)  # consecutive skipped (NaN/inf) steps before a rollback
    max_rollbacks: int = Field(3, ge=0)  # rollbacks to the last checkpoint allowed before training stops

    @model_validator(mode="after")
    def _check_game(self):
        if self.unroll_steps and self.game != "unrolled":
            raise ValueError(
                f"train.unroll_steps={self.unroll_steps} applies only to train.game='unrolled'; "
                "set that game or drop the key"
            )
        if self.progressive != ProgressiveConfig() and self.game != "progressive":  # a saved config holds defaults
            raise ValueError(
                f"train.progressive applies only to train.game='progressive', not '{self.game}'; "
                "set that game or drop the section"
            )
        return self


class MetricsConfig(Section):
    """Metrics that `gankit eval` computes by default."""

    names: list[Literal["fid", "kid", "is", "pr", "dc"]] = ["fid"]
    num_samples: int = Field(1000, ge=2)
    feature_net: Literal["digits", "inception"] = "digits"
    inception_weights: str | None = None  # the FID Inception weight file; default ~/.cache/gankit/


class EvalConfig(Section):
    """Evaluation during training (train/evaluation.py) and the statistics cache of `gankit eval`."""

    metrics: list[Literal["fid", "kid", "is", "pr", "dc"]] = []  # empty: no evaluation during training
    every_kimg: float = Field(0.0, ge=0)  # evaluate when training crosses a multiple of this, and at the end
    best_metric: Literal["fid", "kid", "is", "precision", "recall", "density", "coverage"] | None = None
    num_samples: int | None = Field(None, ge=2)  # generated samples per evaluation; default metrics.num_samples
    stats_dir: str | None = None  # cache of real-set statistics; default ~/.cache/gankit/stats

    @model_validator(mode="after")
    def _check_schedule(self):
        if self.metrics and self.every_kimg <= 0:
            raise ValueError(
                f"eval.metrics={self.metrics} needs eval.every_kimg > 0 (how often to evaluate); set e.g. "
                "eval.every_kimg=50"
            )
        source = {"precision": "pr", "recall": "pr", "density": "dc", "coverage": "dc"}.get(self.best_metric or "")
        if self.best_metric and (source or self.best_metric) not in self.metrics:
            raise ValueError(
                f"eval.best_metric={self.best_metric!r} is not computed: add '{source or self.best_metric}' to "
                f"eval.metrics (now {self.metrics})"
            )
        return self


class Config(Section):
    """A whole run's config. `generator` and `discriminator` are validated by their family's options."""

    seed: int = Field(0, ge=0, lt=2**63)
    data: DataConfig = DataConfig()
    generator: Any = Field({"name": "dcgan"}, validate_default=True)
    discriminator: Any = Field({"name": "dcgan"}, validate_default=True)
    loss: LossConfig = Field(default_factory=LossConfig)  # a factory: its validator reads the loss registry
    augment: AugmentConfig = AugmentConfig()
    train: TrainConfig = TrainConfig()
    metrics: MetricsConfig = MetricsConfig()
    eval: EvalConfig = EvalConfig()

    @model_validator(mode="after")
    def _check_point_data(self):
        # 2-D points are [N, 2]: no memory format of images, no image augmentation.
        if self.data.source in ("ring8", "grid25"):
            if self.train.channels_last:
                raise ValueError(f"data.source='{self.data.source}' is 2-D point data; set train.channels_last=false")
            if self.augment.diffaugment:
                raise ValueError(
                    f"augment.diffaugment={self.augment.diffaugment} transforms images; "
                    f"data.source='{self.data.source}' is 2-D point data, so set augment.diffaugment=[]"
                )
        return self

    @model_validator(mode="after")
    def _check_growth(self):
        # Progressive growing: every resolution named in the batch sizes must be one the networks pass through.
        too_big = sorted(r for r in self.train.progressive.batch_sizes if r > self.data.resolution)
        if too_big:
            raise ValueError(
                f"train.progressive.batch_sizes names resolution {too_big[0]}, above data.resolution="
                f"{self.data.resolution}; drop it or raise data.resolution"
            )
        return self

    @model_validator(mode="after")
    def _check_blur(self):
        if self.loss.blur_sigma > 0 and self.train.game != "stylegan2":
            raise ValueError(
                f"loss.blur_sigma={self.loss.blur_sigma} is applied only by train.game='stylegan2', not "
                f"'{self.train.game}'; set that game or loss.blur_sigma=0"
            )
        return self

    @model_validator(mode="after")
    def _check_packing(self):
        # PacGAN: D scores packs of m consecutive samples, so every batch D sees must split into packs.
        m = getattr(self.discriminator, "pack", 1)
        if m > 1 and self.train.batch_size % m:
            raise ValueError(
                f"discriminator.pack={m} needs train.batch_size to be a multiple of it, got {self.train.batch_size}"
            )
        return self

    @field_validator("generator", "discriminator", mode="before")
    @classmethod
    def _network(cls, v: Any, info) -> BaseModel:
        registry = GENERATORS if info.field_name == "generator" else DISCRIMINATORS
        if isinstance(v, BaseModel):
            v = v.model_dump()
        if not isinstance(v, dict) or not isinstance(v.get("name"), str):
            choices = ", ".join(registry.names())
            raise ValueError(f"{info.field_name} must be a mapping with a 'name' key naming one of: {choices}")
        entry = registry.get(v["name"], key=f"{info.field_name}.name")
        return entry.options.model_validate(v)


def _section_fields(model: type[BaseModel], raw: dict, path: tuple[str, ...]) -> list[str] | None:
    """The valid keys at `path` in `raw`, or None when that place takes any mapping."""
    for part in path:
        field = model.model_fields.get(part)
        if field is None:
            return None
        if part in ("generator", "discriminator") and model is Config:
            registry = GENERATORS if part == "generator" else DISCRIMINATORS
            section = raw.get(part) if isinstance(raw.get(part), dict) else {}
            name = section.get("name", "dcgan")
            if not isinstance(name, str) or name not in registry.names():
                return None
            model = registry.get(name).options
            raw = raw.get(part) or {}
            continue
        ann = field.annotation
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return None
        model, raw = ann, raw.get(part) or {}
    return list(model.model_fields)


def _check_keys(raw: dict, path: tuple[str, ...] = (), root: dict | None = None) -> None:
    """Raise ConfigError for the first unknown key, naming the closest valid one."""
    root = raw if root is None else root
    valid = _section_fields(Config, root, path)
    if valid is None:
        return
    for key, value in raw.items():
        dotted = ".".join((*path, str(key)))
        if key not in valid:
            close = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.4)
            hint = f"did you mean '{'.'.join((*path, close[0]))}'? " if close else ""
            raise ConfigError(f"unknown config key '{dotted}'; {hint}valid keys here: {', '.join(valid)}")
        if isinstance(value, dict):
            _check_keys(value, (*path, key), root)


def _format_validation_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"] if not isinstance(p, int)) or "config"
        msg = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        shown = "" if isinstance(value, dict) else f"={value!r}"
        lines.append(f"{key}{shown}: {msg}")
    return "invalid config: " + "; ".join(lines)


def validate(raw: dict) -> Config:
    """Validate a raw nested dict into a Config, or raise ConfigError naming the key."""
    if not isinstance(raw, dict):
        raise ConfigError(f"a config must be a mapping of sections, got {type(raw).__name__}")
    _check_keys(raw)
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc)) from None


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice (plain YAML keeps the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key '{key}' appears twice (lines {seen[key]} and {key_node.start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> dict:
    """Read a YAML mapping, raising ConfigError naming the file on syntax errors."""
    path = Path(path)
    try:
        loader = _UniqueKeyLoader(path.read_text())  # SafeLoader's constructors only: no Python objects
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except FileNotFoundError:
        raise ConfigError(f"config file '{path}' does not exist") from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file '{path}' is not a readable YAML text file ({type(exc).__name__})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file '{path}' is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping of sections, got {type(data).__name__}")
    return data


def load_preset(name: str) -> dict:
    """The raw dict of a built-in preset (by name) or of a YAML file (by path)."""
    if name.endswith((".yaml", ".yml")) or "/" in name:
        return read_yaml(name)
    if name not in preset_names():
        raise ConfigError(f"preset '{name}' does not exist; {suggest(name, preset_names())}")
    return read_yaml(PRESET_DIR / f"{name}.yaml")


def apply_override(raw: dict, assignment: str) -> None:
    """Apply one `key.sub=value` override in place; the value is parsed as YAML (so 1e-4, true, [a, b] work)."""
    if "=" not in assignment:
        raise ConfigError(f"override '{assignment}' is not of the form key=value, e.g. train.batch_size=32")
    key, text = assignment.split("=", 1)
    parts = key.strip().split(".")
    if not all(parts):
        raise ConfigError(f"override '{assignment}' has an empty key part")
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as exc:
        raise ConfigError(f"override '{assignment}': value is not valid YAML: {exc}") from None
    node = raw
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"override '{assignment}': '{part}' is a value, not a section")
        node = child
    node[parts[-1]] = value


def load_config(preset: str, overrides: list[str] = ()) -> Config:
    """Preset (name or YAML path) + dotted overrides -> validated Config."""
    raw = load_preset(preset)
    for assignment in overrides:
        apply_override(raw, assignment)
    return validate(raw)


def to_yaml(cfg: Config) -> str:
    """The fully resolved config as YAML (tuples written as lists)."""
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False)


def flat_items(cfg: Config) -> list[str]:
    """Every resolved value as a dotted `key=value` string, in section order."""
    out = []

    def walk(node, prefix):
        for key, value in node.items():
            if isinstance(value, dict):
                walk(value, f"{prefix}{key}.")
            else:
                out.append(f"{prefix}{key}={value}")

    walk(cfg.model_dump(mode="json"), "")
    return out


def describe(cfg: Config, width: int = 110) -> str:
    """The resolved config as wrapped `key=value` lines for the start-up log."""
    import textwrap

    return "\n".join(textwrap.wrap(", ".join(flat_items(cfg)), width, initial_indent="  ", subsequent_indent="  "))
