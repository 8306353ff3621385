import importlib.util
import sys
from pathlib import Path

import pytest

from gankit.config import load_config
from gankit.train.loop import Trainer
from tests.conftest import TOY_TINY

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    if str(ROOT / "benchmarks") not in sys.path:
        sys.path.insert(0, str(ROOT / "benchmarks"))  # as when the script runs: its folder is on the path
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


COST = _load("toy_cost")


@pytest.mark.parametrize(
    ("preset", "extra"),
    [("toy-veegan", []), ("toy-pacgan", []), ("toy-pacgan", ["discriminator.pack=4"])],
    ids=["veegan", "pacgan", "pacgan4"],
)
def test_hand_flop_count_equals_the_dispatch_count(preset, extra, tmp_path):
    """The hand-derived FLOPs of a plain step (the floor of the table's cost) match every matmul that runs."""
    cfg = load_config(preset, [*TOY_TINY, *extra])
    trainer = Trainer(cfg, tmp_path, log=lambda *a: None)
    trainer.run_step()  # the first step creates the optimizer state; count a later one
    with COST.MatmulFlops() as counter:
        trainer.run_step()
    assert counter.total > 0
    assert COST.plain_game_flops(cfg, trainer.G, trainer.D) == counter.total


def test_hand_flop_count_of_the_veegan_protocol():
    """The VEEGAN protocol's plain step is 0.255 GFLOP: 249,088 multiply-adds per sample at batch 512."""
    from gankit.nets import build_networks

    cfg = load_config("toy-veegan")
    G, D = build_networks(cfg)
    per_sample = 49_408 + 2 * 16_768 + 2 * (16_768 + 16_768 - 256) + 16_768 + 16_768 + (49_408 + 49_408 - 32_768)
    assert COST.plain_game_flops(cfg, G, D) == 2 * 512 * per_sample == 255_066_112
