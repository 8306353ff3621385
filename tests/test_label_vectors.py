import json

import numpy as np
import pytest
import torch
import yaml
from click.testing import CliRunner
from PIL import Image

from gankit.cli import main
from gankit.models.dcgan import DCGANDiscriminator, DCGANGenerator
from gankit.run import Run
from gankit.train.conditioning import BANK_SIZE
from tests.conftest import TINY


def _vector_folder(root, n=48, continuous=False):
    """n 16x16 images whose brightness follows a 3-attribute label vector, in dataset.json."""
    rng = np.random.default_rng(0)
    entries = []
    for i in range(n):
        vec = [float(i % 2), float((i // 2) % 2), float(rng.uniform(-2, 2) if continuous else rng.uniform())]
        img = np.full((16, 16), 40 + 80 * vec[0] + 60 * vec[1], np.uint8)
        Image.fromarray(img).save(root / f"{i:03d}.png")
        entries.append([f"{i:03d}.png", vec])
    (root / "dataset.json").write_text(json.dumps({"labels": entries}))
    return root


def _train(out, data, *extra):
    sets = [*TINY, "data.source=folder", f"data.path={data}", "data.conditional=true", *extra]
    args = [a for kv in sets for a in ("--set", kv)]
    return CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(out), *args])


@pytest.fixture(scope="module")
def vector_data(tmp_path_factory):
    return _vector_folder(tmp_path_factory.mktemp("vectors"))


@pytest.mark.parametrize("conditioning", ["projection", "concat", "acgan"])
def test_training_on_label_vectors_fills_label_dim_and_samples_by_vector(vector_data, tmp_path, conditioning):
    """Every D conditioning trains on float label vectors; sampling takes a vector or cycles the saved bank."""
    out = tmp_path / "run"
    result = _train(out, vector_data, f"discriminator.conditioning={conditioning}")
    assert result.exit_code == 0, result.output
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["data"]["label_dim"] == 3 and cfg["data"]["num_classes"] is None
    run = Run.load(out)
    assert run.label_dim == 3 and run.num_classes == 0
    bank = run.label_source.bank
    assert bank.shape == (min(48, BANK_SIZE), 3)
    assert torch.equal(run.labels(50), bank[torch.arange(50) % len(bank)])
    a = run.sample(4, seed=2, label=[1.0, 0.0, 0.5])
    b = run.sample(4, seed=2, label=[0.0, 1.0, 0.5])
    assert not torch.equal(a, b)  # the vector reaches G
    ok = CliRunner().invoke(main, ["sample", "--run", str(out), "--label", "1,0,0.5", "--out", str(tmp_path / "s.png")])
    assert ok.exit_code == 0, ok.output


def test_label_vector_errors_are_clear(vector_data, tmp_path):
    out = tmp_path / "run"
    assert _train(out, vector_data).exit_code == 0
    cases = [
        (["--label", "1,0"], "this run is conditioned on label vectors of 3 numbers; give 3 comma-separated values"),
        (["--label", "1,x,0"], "--label '1,x,0': expected comma-separated numbers"),
        (["--class", "1"], "--class 1: this run is conditioned on label vectors of 3 numbers, not classes"),
        (["--class", "1", "--label", "1,0,0"], "give a class for class-conditional runs or a vector, not both"),
    ]
    for args, message in cases:
        bad = CliRunner().invoke(main, ["sample", "--run", str(out), *args, "--out", str(tmp_path / "x.png")])
        assert bad.exit_code == 2 and message in bad.output, bad.output


def test_acgan_refuses_continuous_labels_outside_0_1(tmp_path):
    """AC-GAN predicts each attribute with a sigmoid, so labels outside [0, 1] are refused before training."""
    (tmp_path / "c").mkdir()
    data = _vector_folder(tmp_path / "c", continuous=True)
    result = _train(tmp_path / "run", data, "discriminator.conditioning=acgan")
    assert result.exit_code == 2
    assert "outside [0, 1]; use 'projection' or 'concat' for continuous labels" in result.output
    assert _train(tmp_path / "run2", data, "discriminator.conditioning=projection").exit_code == 0


@pytest.mark.parametrize("preset", ["sngan-digits", "biggan-digits"])
def test_resnet_families_train_on_label_vectors(vector_data, tmp_path, preset):
    """SNGAN-projection and BigGAN read float label vectors: G through conditional BN, D through projection."""
    out = tmp_path / "run"
    sets = [*TINY, "data.source=folder", f"data.path={vector_data}", "data.conditional=true", "data.resolution=16"]
    sets += ["generator.width=16", "discriminator.width=16"]
    args = [a for kv in sets for a in ("--set", kv)]
    result = CliRunner().invoke(main, ["train", "--preset", preset, "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    run = Run.load(out)
    a = run.sample(4, seed=2, label=[1.0, 0.0, 0.5])
    b = run.sample(4, seed=2, label=[0.0, 1.0, 0.5])
    assert run.label_dim == 3 and not torch.equal(a, b)  # the vector reaches G


def test_family_taking_no_labels_names_itself(vector_data, tmp_path):
    sets = ("data.source=folder", f"data.path={vector_data}", "data.conditional=true")
    result = CliRunner().invoke(
        main,
        ["train", "--preset", "stylegan2-digits", "--out", str(tmp_path / "r"), "--dry-run"]
        + [a for kv in sets for a in ("--set", kv)],
    )
    assert result.exit_code == 2
    message = "with label vectors of length 3, but generator.name='stylegan2' takes none; families that do:"
    assert message in result.output


def test_vector_projection_and_concat_are_linear_in_the_label():
    """Projection D with vectors adds <V y, h>: the term doubles when y doubles; G reads y next to z."""
    torch.manual_seed(0)
    D = DCGANDiscriminator(16, 1, width=8, norm="none", label_dim=3)
    torch.nn.init.normal_(D.embed.weight)
    img, y = torch.randn(2, 1, 16, 16), torch.tensor([[1.0, 0.0, 0.5], [0.0, 1.0, 0.25]])
    base = D(img, torch.zeros_like(y))
    torch.testing.assert_close(D(img, 2 * y) - base, 2 * (D(img, y) - base))
    G = DCGANGenerator(16, 1, z_dim=8, width=8, label_dim=3)
    assert G.net[0].in_channels == 8 + 3
    with pytest.raises(ValueError, match=r"label vectors must be floats \[N, 3\]"):
        G(torch.randn(2, 8), torch.tensor([1, 2]))
