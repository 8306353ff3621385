import importlib.util
import math
import sys
from pathlib import Path

import pytest

from gankit.config import load_config
from gankit.train.loop import Trainer
from tests.conftest import TOY_TINY

ROOT = Path(__file__).resolve().parents[1]


def _benchmark():
    if str(ROOT / "benchmarks") not in sys.path:
        sys.path.insert(0, str(ROOT / "benchmarks"))  # as when the script runs: its folder is on the path
    spec = importlib.util.spec_from_file_location("toy_modes", ROOT / "benchmarks" / "toy_modes.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["toy_modes"] = module
    spec.loader.exec_module(module)
    return module


BENCH = _benchmark()
PRESET_ROWS = [row for row in BENCH.ROWS if row.preset]


@pytest.mark.parametrize("row", PRESET_ROWS, ids=[row.name for row in PRESET_ROWS])
def test_each_toy_preset_equals_its_benchmark_row(row):
    """A preset per loss and remedy is the benchmark row it names, so the two cannot drift apart."""
    protocol = BENCH.PROTOCOLS[row.home]
    expected = load_config(protocol.preset, BENCH.run_overrides(row, protocol, "ring8", protocol.steps))
    assert load_config(row.preset) == expected


@pytest.mark.parametrize("row", PRESET_ROWS, ids=[row.name for row in PRESET_ROWS])
def test_each_toy_preset_trains_a_step(row, tmp_path):
    cfg = load_config(row.preset, TOY_TINY if row.home == "veegan" else TOY_TINY[:-4])
    trainer = Trainer(cfg, tmp_path, log=lambda *a: None)
    trainer.run_step()
    values = trainer.collector.reduce()
    assert math.isfinite(values["loss_d"]) and math.isfinite(values["loss_g"])  # both phases ran
