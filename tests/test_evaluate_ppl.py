"""`gankit eval --metrics ppl`: PPL of StyleGAN runs with LPIPS from local (here generated) weight files."""

import json

import pytest
import torch
from click.testing import CliRunner

from gankit.cli import main
from gankit.config import load_config
from gankit.digest import sha256_file
from gankit.metrics import lpips
from gankit.metrics.catalog import PplOptions, ppl_metric
from gankit.metrics.seeded_weights import seeded_state_dict, shapes_of
from gankit.run import Run
from tests.conftest import TINY, TINY_SG2_TRAIN, TINY_STYLE_G, train_run

pytestmark = pytest.mark.slow  # a StyleGAN2 run and 59 MB of generated VGG weights per module

TINY_SG2 = ["data.resolution=16", *TINY_STYLE_G, *TINY_SG2_TRAIN]


@pytest.fixture(scope="module")
def sg2_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("ppl") / "sg2"
    train_run(load_config("stylegan2-digits", TINY_SG2), run)
    return run


@pytest.fixture(scope="module")
def lpips_folder(tmp_path_factory):
    """Seeded LPIPS-vgg weights under the standard file names (heads made non-negative, as calibrated ones are)."""
    folder = tmp_path_factory.mktemp("lpips")
    state = seeded_state_dict(shapes_of(lpips.LPIPS("vgg")), 0)
    torch.save({k: v for k, v in state.items() if k.startswith("features.")}, folder / "vgg16-397923af.pth")
    torch.save({k: v.abs() for k, v in state.items() if k.startswith("lin")}, folder / "lpips_v0.1_vgg.pth")
    return folder


@pytest.fixture
def generated_hashes(lpips_folder, monkeypatch):
    """Accept the generated files as if they were the standard ones (their hashes stand in for the published)."""
    spec = dict(lpips.VARIANTS["vgg"])
    spec["backbone_sha256"] = sha256_file(lpips_folder / "vgg16-397923af.pth")
    spec["heads_sha256"] = sha256_file(lpips_folder / "lpips_v0.1_vgg.pth")
    monkeypatch.setitem(lpips.VARIANTS, "vgg", spec)
    return spec


def _eval(*args):
    return CliRunner().invoke(main, ["eval", "--no-progress", *args])


def test_ppl_record_in_w_and_z(sg2_run, lpips_folder, generated_hashes):
    """Protects PPL through gankit eval: W and Z records with the published settings and the LPIPS hashes."""
    for space in ("w", "z"):
        result = _eval("--run", str(sg2_run), "--metrics", "ppl", "--num-samples", "100", "--ppl-space", space,
                       "--lpips-weights", str(lpips_folder))  # fmt: skip
        assert result.exit_code == 0, result.output
        assert f"ppl100_{space}end" in result.output
    records = [json.loads(line) for line in (sg2_run / "metrics.jsonl").read_text().splitlines()][-2:]
    w_rec, z_rec = records
    for rec, space in ((w_rec, "w"), (z_rec, "z")):
        assert rec["settings"] == {"space": space, "sampling": "end", "epsilon": 1e-4, "lpips": "vgg"}
        assert rec["feature_net"] == "lpips-v0.1-vgg" and rec["num_gen"] == 100 and rec["num_real"] is None
        assert rec["feature_net_sha256"] == f"{generated_hashes['backbone_sha256']}+{generated_hashes['heads_sha256']}"
        assert rec["value"] > 0 and rec["snapshot"].startswith("ckpt-")
    assert w_rec["value"] != z_rec["value"]


def test_ppl_of_a_stylegan2_generator_does_not_depend_on_batch_size(sg2_run):
    """Protects PPL's batch-size independence on a real mapping + synthesis generator (seeded LPIPS-vgg)."""
    G = Run.load(sg2_run).G
    distance = lpips.LPIPS("vgg")
    distance.load_state_dict(seeded_state_dict(shapes_of(distance), 1))
    values = [ppl_metric(G, distance.eval(), 100, 5, PplOptions(batch_size=b))[0]["value"] for b in (7, 100)]
    assert values[0] == pytest.approx(values[1], rel=1e-3)  # float32 rounding, amplified by 1 / eps^2 = 1e8


def test_ppl_needs_a_mapping_network(tmp_path):
    """Protects the guard: PPL of a DCGAN run names the requirement and the preset that meets it."""
    run = tmp_path / "dcgan"
    train_run(load_config("dcgan-digits", TINY), run)
    result = _eval("--run", str(run), "--metrics", "ppl")
    assert result.exit_code == 2
    assert "--metrics ppl needs a generator with a mapping network" in result.output
    assert "run of generator 'dcgan'" in result.output and "stylegan2-digits" in result.output


def test_missing_lpips_weights_name_file_hash_and_place(sg2_run, tmp_path):
    """Protects the missing-weights message: the file, its SHA-256 and where to put it."""
    result = _eval("--run", str(sg2_run), "--metrics", "ppl", "--lpips-weights", str(tmp_path / "none"))
    assert result.exit_code == 2
    assert "vgg16-397923af.pth" in result.output and lpips.VARIANTS["vgg"]["backbone_sha256"] in result.output
    assert "put it at" in result.output and "gankit never downloads weights" in result.output


def test_ppl_with_alexnet_on_small_images_says_what_to_use(sg2_run):
    """Protects the size guard: LPIPS-alex on 16 px images fails before any weights are read."""
    result = _eval("--run", str(sg2_run), "--metrics", "ppl", "--lpips", "alex")
    assert result.exit_code == 2 and "at least 32 px" in result.output and "use --lpips vgg" in result.output


def test_too_few_ppl_segments_is_a_one_line_error(sg2_run, lpips_folder, generated_hashes):
    """Protects PPL's sample-count guard through the CLI (its percentile filter needs 100 segments)."""
    result = _eval(
        "--run", str(sg2_run), "--metrics", "ppl", "--num-samples", "50", "--lpips-weights", str(lpips_folder)
    )
    assert result.exit_code == 2 and "--metrics ppl: PPL num_samples=50 must be at least 100" in result.output
