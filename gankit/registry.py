"""Name -> constructor tables, so a config names every part by a string.

A registry entry holds the constructor and, for configurable parts, a pydantic options model that
validates the part's own config section before anything is built.
"""

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from gankit.errors import ConfigError

# Modules whose import fills the registries; imported on first lookup, never at package import.
_PROVIDERS = ("gankit.models", "gankit.losses", "gankit.games", "gankit.metrics.catalog")


@dataclass(frozen=True)
class Entry:
    name: str
    build: Callable[..., Any]
    options: type[BaseModel] | None = None


class Registry:
    """A table of named constructors of one kind (generator, discriminator, loss, game)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, options: type[BaseModel] | None = None) -> Callable:
        """Decorator registering `obj` under `name`, optionally with its options model."""

        def decorator(obj):
            assert name not in self._entries, f"{self.kind} '{name}' registered twice"
            self._entries[name] = Entry(name=name, build=obj, options=options)
            return obj

        return decorator

    def names(self) -> list[str]:
        _load_providers()
        return sorted(self._entries)

    def get(self, name: str, key: str = "") -> Entry:
        """Look up `name`; raise ConfigError listing the choices and the closest one when unknown."""
        _load_providers()
        if name not in self._entries:
            where = f"{key}=" if key else f"{self.kind} "
            raise ConfigError(f"{where}'{name}' is not a known {self.kind}; {suggest(name, self.names())}")
        return self._entries[name]


def suggest(name: str, choices: list[str]) -> str:
    """'did you mean X? choices: a, b, c' for error messages."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{hint}choices: {', '.join(choices)}"


def _load_providers() -> None:
    for module in _PROVIDERS:
        importlib.import_module(module)


GENERATORS = Registry("generator")
DISCRIMINATORS = Registry("discriminator")
LOSSES = Registry("loss")
GAMES = Registry("game")
METRICS = Registry("metric")
FEATURE_NETS = Registry("feature network")
