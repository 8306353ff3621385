"""The one collector for everything a tick reports: the console line and log.jsonl come from it."""

import json
from pathlib import Path

import torch

from gankit.train.distributed import all_reduce_sum

# Console names and widths for the fixed-width tick line, in order; other keys follow.
_FIELDS = [
    ("tick", "tick", "{:<5d}"),
    ("kimg", "kimg", "{:<8.1f}"),
    ("time", "time", "{:<9s}"),
    ("sec_per_kimg", "sec/kimg", "{:<7.2f}"),
    ("img_per_sec", "img/s", "{:<7.1f}"),
    ("resolution", "res", "{:<4d}"),  # progressive growing: the current stage's resolution and fade alpha
    ("alpha", "alpha", "{:<5.3f}"),
    ("loss_d", "loss_d", "{:<7.3f}"),
    ("loss_g", "loss_g", "{:<7.3f}"),
    ("d_real", "D(x)", "{:<6.3f}"),
    ("d_fake", "D(G(z))", "{:<6.3f}"),
]


class TickCollector:
    """Sums per-step values on their device and averages them once per tick (one host sync per tick)."""

    def __init__(self) -> None:
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}

    def add(self, values: dict[str, torch.Tensor]) -> None:
        for key, value in values.items():
            v = value.detach().float()
            self._sums[key] = self._sums[key] + v if key in self._sums else v
            self._counts[key] = self._counts.get(key, 0) + 1

    def reduce(self, world_size: int = 1) -> dict[str, float]:
        """Averages over the tick (and over ranks), then reset."""
        if not self._sums:
            return {}
        keys = sorted(self._sums)
        sums = torch.stack([self._sums[k] for k in keys]).double().cpu()  # the CPU waits for the device here
        counts = torch.tensor([self._counts[k] for k in keys], dtype=torch.float64)
        sums, counts = all_reduce_sum(sums, world_size), all_reduce_sum(counts, world_size)
        self._sums, self._counts = {}, {}
        return {k: float(s / c) for k, s, c in zip(keys, sums, counts, strict=True)}


def format_duration(seconds: float) -> str:
    s = int(seconds)
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


def format_tick(record: dict) -> str:
    """One fixed-width console line for a tick record."""
    parts = []
    shown = {"time_s", "kimg"}
    for key, label, fmt in _FIELDS:
        if key == "kimg" and key in record:
            parts.append(f"kimg {record['kimg']:<8.{1 if record['kimg'] >= 10 else 3}f}")  # small ticks stay distinct
            continue
        if key == "time":
            parts.append(f"time {format_duration(record['time_s']):<9s}")
            continue
        if key in record:
            parts.append(f"{label} {fmt.format(record[key])}")
            shown.add(key)
    for key in sorted(set(record) - shown - {k for k, _, _ in _FIELDS}):
        value = record[key]
        parts.append(f"{key} {value:<7.4g}" if isinstance(value, float) else f"{key} {value}")
    return " ".join(parts).rstrip()


class JsonlWriter:
    """Appends one JSON object per line and flushes, so a crash loses at most the line in flight."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def write(self, record: dict) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")


def truncate_log(path: Path, last_tick: int) -> int:
    """Drop lines of a log.jsonl written after tick `last_tick` (a crash after logging, before checkpointing).

    Returns:
        The number of lines removed.
    """
    path = Path(path)
    if not path.is_file():
        return 0
    lines = path.read_text().splitlines()
    kept = []
    for line in lines:
        try:
            if json.loads(line).get("tick", 0) <= last_tick:
                kept.append(line)
        except json.JSONDecodeError:
            pass  # a line cut short by the crash
    path.write_text("".join(f"{line}\n" for line in kept))
    return len(lines) - len(kept)
