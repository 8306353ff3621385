import json

from click.testing import CliRunner
from PIL import Image

from gankit.cli import main
from gankit.run import Run
from tests.conftest import TOY_TINY


def test_toy_preset_trains_through_the_cli_and_writes_scatter_snapshots(tmp_path):
    run = tmp_path / "run"
    sets = [a for kv in TOY_TINY for a in ("--set", kv)]
    result = CliRunner().invoke(main, ["train", "--preset", "toy-unrolled", "--out", str(run), *sets])
    assert result.exit_code == 0, result.output
    assert "ring8: 2048 points in 2-D from 8 Gaussians of std 0.01" in result.output
    assert "game:     D -> G" in result.output
    assert Image.open(run / "samples" / "reals.png").size == (512, 512)
    assert Image.open(run / "samples" / "fakes-0000000512.png").size == (512, 512)
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert len(records) == 4 and "loss_g" in records[-1]
    samples = Run.load(run).sample(100, seed=0)
    assert samples.shape == (100, 2)
    scatter = tmp_path / "scatter.png"
    result = CliRunner().invoke(main, ["sample", "--run", str(run), "-n", "300", "--out", str(scatter)])
    assert result.exit_code == 0, result.output
    assert Image.open(scatter).size == (512, 512)


def test_point_data_refuses_image_only_options():
    result = CliRunner().invoke(main, ["train", "--preset", "toy-veegan", "--set", "train.channels_last=true"])
    assert result.exit_code == 2 and "set train.channels_last=false" in result.output
