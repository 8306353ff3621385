"""gankit sample's StyleGAN flags: --truncation-cutoff, --noise, --style-mix with --crossover."""

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from gankit.cli import main, parse_style_mix
from gankit.config import load_config
from gankit.data.image_io import make_grid
from gankit.errors import GankitError
from gankit.run import Run
from tests.conftest import train_run
from tests.games.test_stylegan import TINY_SG2


@pytest.fixture(scope="module")
def sg2_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("sg2") / "run"
    train_run(
        load_config(
            "stylegan2-digits", [*TINY_SG2, "train.total_kimg=0.008", "train.tick_kimg=0.008", "metrics.names=[]"]
        ),
        run,
    )
    return run


@pytest.mark.parametrize(
    ("text", "rows", "cols"),
    [("1,2,3:4,5,6", [1, 2, 3], [4, 5, 6]), ("7,9", [7], [9]), ("1-3:10", [1, 2, 3], [10]), (" 4 : 5,6", [4], [5, 6])],
)
def test_style_mix_seed_syntax(text, rows, cols):
    """ROWS:COLS lists (with ascending ranges) or two seeds A,B."""
    assert parse_style_mix(text) == (rows, cols)


@pytest.mark.parametrize("text", ["1,2,3", "1-2", "a:1", "1,,2:3", "3-1:4", ":4", f"1:{2**63}"])
def test_bad_style_mix_syntax_is_named(text):
    """Anything else names the flag and shows the expected form."""
    with pytest.raises(GankitError, match="--style-mix"):
        parse_style_mix(text)


def test_style_mix_grid_from_the_cli(sg2_run, tmp_path):
    """The written grid is (rows+1) x (cols+1) cells: the same pixels as Run.style_mix's grid."""
    out = tmp_path / "mix.png"
    args = ["sample", "--run", str(sg2_run), "--style-mix", "1,2:3,4,5", "--crossover", "2", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "style mixing 2x3: layers < 2 from the rows, >= 2 of 4 from the columns" in result.output
    images, nrow = Run.load(sg2_run).style_mix([1, 2], [3, 4, 5], 2).grid()
    np.testing.assert_array_equal(np.asarray(Image.open(out)), make_grid(images, nrow)[..., 0])
    assert np.asarray(Image.open(out)).shape == (3 * 9 + 1, 4 * 9 + 1)  # 8x8 cells with 1-pixel gaps


def test_truncation_cutoff_and_noise_reach_the_samples(sg2_run, tmp_path):
    """--truncation-cutoff and --noise give the images Run.sample gives for the same arguments."""
    out = tmp_path / "grid.png"
    args = ["sample", "--run", str(sg2_run), "-n", "4", "--seed", "5", "--out", str(out)]
    args += ["--truncation", "0.5", "--truncation-cutoff", "2", "--noise", "random"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    want = Run.load(sg2_run).sample(4, seed=5, truncation=0.5, truncation_cutoff=2, noise="random")
    np.testing.assert_array_equal(np.asarray(Image.open(out)), make_grid(want)[..., 0])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--style-mix", "1:2"], "--style-mix and --crossover go together"),
        (["--crossover", "2"], "--style-mix and --crossover go together"),
        (["--style-mix", "1:2", "--crossover", "4"], "crossover=4 is out of range: this generator has 4 style"),
        (["--style-mix", "1:2", "--crossover", "1", "-n", "4"], "drop -n, --seed, --class and --label"),
        (["--style-mix", "1:2", "--crossover", "1", "--seed", "3"], "drop -n, --seed"),
        (["--truncation", "0.5", "--truncation-cutoff", "5"], "truncation_cutoff=5 is out of range"),
        (["--truncation-cutoff", "2"], "truncation_cutoff=2 has no effect without truncation"),
        (["--style-mix", "1,2,3", "--crossover", "1"], "expected ROW_SEEDS:COLUMN_SEEDS"),
    ],
)
def test_bad_style_flags_fail_with_one_line(sg2_run, tmp_path, extra, message):
    """Flag mistakes exit 2 with a message naming the flag and no traceback."""
    result = CliRunner().invoke(main, ["sample", "--run", str(sg2_run), "--out", str(tmp_path / "x.png"), *extra])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
