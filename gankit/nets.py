"""Build the networks a config names, with weights that depend only on the seed."""

import inspect

import torch
from torch import nn

from gankit.config import Config
from gankit.errors import ConfigError
from gankit.registry import DISCRIMINATORS, GENERATORS, Registry


def _label_options(cfg: Config, registry: Registry, key: str) -> dict:
    """{"num_classes": K} or {"label_dim": L} for a conditional run, after checking the family takes them."""
    if not cfg.data.conditional:
        return {}
    name = getattr(cfg, key).name
    wanted = "label_dim" if cfg.data.label_dim is not None else "num_classes"
    if wanted not in inspect.signature(registry.get(name, key=f"{key}.name").build).parameters:
        what = f"label vectors of length {cfg.data.label_dim}" if wanted == "label_dim" else "class labels"
        able = [n for n in registry.names() if wanted in inspect.signature(registry.get(n).build).parameters]
        raise ConfigError(
            f"data.conditional=true with {what}, but {key}.name='{name}' takes none; "
            f"families that do: {', '.join(able)}"
        )
    if wanted == "label_dim":
        return {"label_dim": cfg.data.label_dim}
    if cfg.data.num_classes is None:
        raise ConfigError("data.conditional=true needs data.num_classes (the trainer fills it from the dataset)")
    return {"num_classes": cfg.data.num_classes}


def build_generator(cfg: Config) -> nn.Module:
    opts = cfg.generator.model_dump(exclude={"name"})
    entry = GENERATORS.get(cfg.generator.name, key="generator.name")
    labels = _label_options(cfg, GENERATORS, "generator")
    return entry.build(resolution=cfg.data.resolution, channels=cfg.data.channels, **opts, **labels)


def build_discriminator(cfg: Config) -> nn.Module:
    opts = cfg.discriminator.model_dump(exclude={"name"})
    entry = DISCRIMINATORS.get(cfg.discriminator.name, key="discriminator.name")
    labels = _label_options(cfg, DISCRIMINATORS, "discriminator")
    return entry.build(resolution=cfg.data.resolution, channels=cfg.data.channels, **opts, **labels)


def build_networks(cfg: Config) -> tuple[nn.Module, nn.Module]:
    """(G, D) initialised from the run seed, leaving the global random state untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        G = build_generator(cfg)
        D = build_discriminator(cfg)
    return G, D


def count_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def module_summary(name: str, module: nn.Module) -> str:
    """A short table of a network's top-level layers and their parameter counts."""
    rows = [f"{name}: {count_params(module):,} parameters"]
    for child_name, child in module.named_modules():
        if child_name and not list(child.children()):
            n = count_params(child)
            if n:
                rows.append(f"  {child_name:<12} {type(child).__name__:<18} {n:>10,}")
    return "\n".join(rows)
