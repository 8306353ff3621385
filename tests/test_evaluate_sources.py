"""`gankit eval --fake SRC --real SRC`: every source form, the log target, and the source errors."""

import json
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from gankit.cli import main
from gankit.data.digits import load_digits_dataset
from gankit.metrics.sources import parse_source
from gankit.metrics.stats_file import load_stats
from tests.conftest import TINY


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run = tmp_path_factory.mktemp("sources") / "run"
    args = [arg for kv in TINY for arg in ("--set", kv)]
    result = CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(run), *args])
    assert result.exit_code == 0, result.output
    return run


@pytest.fixture(scope="module")
def digit_pngs(tmp_path_factory):
    """The first 120 test digits (16x16 grey) as PNGs in a folder and in a zip of the same files."""
    root = tmp_path_factory.mktemp("pngs")
    folder, archive = root / "digits", root / "digits.zip"
    folder.mkdir()
    images = load_digits_dataset("test", 16).images[:120]
    with zipfile.ZipFile(archive, "w") as zf:
        for i, img in enumerate(images):
            Image.fromarray(img[0].numpy()).save(folder / f"{i:04d}.png")
            zf.write(folder / f"{i:04d}.png", f"{i:04d}.png")
    return folder, archive, images


def _eval(*args: str) -> str:
    result = CliRunner().invoke(main, ["eval", "--no-progress", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _cache_test_split_statistics(folder, cache, log) -> None:
    """Evaluate a folder against the digits test split, which writes the split's statistics to `cache`."""
    _eval("--fake", str(folder), "--real", "builtin:digits-test", "--log", str(log), "--stats-cache", str(cache))


def _records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_folder_and_zip_of_pngs_equal_the_tensors_they_came_from(digit_pngs, tmp_path):
    """Protects the tensor-vs-PNG identity end to end: a folder and a zip of the PNGs have FID 0 against each other."""
    folder, archive, _ = digit_pngs
    log = tmp_path / "m.jsonl"
    _eval(
        "--fake", str(folder), "--real", str(archive), "--metrics", "fid,pr", "--features", "digits", "--log", str(log)
    )
    fid, pr = _records(log)
    assert fid["value"] == pytest.approx(0, abs=1e-6)
    assert (pr["precision"], pr["recall"]) == (1.0, 1.0)
    assert fid["num_gen"] == fid["num_real"] == 120 and fid["feature_net"] == "digits-cnn"
    assert fid["real_set"] == f"{archive} (120 images)" and fid["seed"] is None


def test_run_against_builtin_split_records_provenance_in_the_run(run):
    """Protects the record fields of --fake RUN --real builtin:... and that they go to the run's metrics.jsonl."""
    out = _eval("--fake", str(run), "--real", "builtin:digits-train", "--metrics", "fid,kid", "--num-samples", "50")
    records = _records(run / "metrics.jsonl")[-2:]
    for rec in records:
        assert rec["num_gen"] == 50 and rec["num_real"] == 1347 and rec["seed"] == 123
        assert rec["real_set"] == "digits train split (1347 images)" and rec["snapshot"].startswith("")
        assert rec["fake_set"].startswith(str(run)) and len(rec["feature_net_sha256"]) == 64
        assert "resize to 32x32" in rec["preprocessing"] and rec["checkpoint"]
    assert "fid50_digits" in out and "kid50_digits" in out and "records appended to" in out
    assert "biased upwards" in out  # 50 samples < 128 feature dimensions


def test_run_against_run_gives_zero_for_the_same_generator(run):
    """Protects run-vs-run: the same generator and seed on both sides give FID 0."""
    _eval("--fake", str(run), "--real", str(run), "--metrics", "fid", "--num-samples", "40")
    fid = [r for r in _records(run / "metrics.jsonl") if r["metric"] == "fid"][-1]
    assert fid["value"] == pytest.approx(0, abs=1e-6) and fid["num_real"] == 40


def test_real_statistics_are_cached_reused_and_readable_elsewhere(digit_pngs, tmp_path):
    """Protects the statistics cache: written once, reused for FID alone, an .npz with plain mu and sigma."""
    folder, _, _ = digit_pngs
    cache, log = tmp_path / "cache", tmp_path / "m.jsonl"
    args = ["--fake", str(folder), "--real", "builtin:digits-test", "--metrics", "fid", "--log", str(log)]
    first = _eval(*args, "--stats-cache", str(cache))
    second = _eval(*args, "--stats-cache", str(cache))
    assert "statistics cached in" in first and "statistics from the cache" in second
    (file,) = cache.glob("digits-cnn-450-*.npz")  # the real set's; the folder's are cached too
    with np.load(file, allow_pickle=False) as data:  # what another FID tool does
        assert data["mu"].shape == (128,) and data["sigma"].shape == (128, 128)
    a, b = _records(log)
    assert a["value"] == pytest.approx(b["value"], abs=1e-9)
    _, _, meta = load_stats(file)
    assert meta["count"] == 450 and meta["resolution"] == 32 and meta["feature_net"] == "digits-cnn"
    assert len(meta["dataset_sha256"]) == 64

    # A cached file is itself a source: the same FID from it.
    _eval("--fake", str(folder), "--real", str(file), "--metrics", "fid", "--log", str(log), "--stats-cache", "off")
    assert _records(log)[-1]["value"] == pytest.approx(a["value"], abs=1e-9)
    assert _records(log)[-1]["real_set"] == f"statistics {file.name} of digits test split (450 images)"


def test_statistics_with_other_metadata_refuse_to_compare(digit_pngs, tmp_path):
    """Protects the metadata check: statistics from another feature space fail, naming both values."""
    folder, _, _ = digit_pngs
    cache = tmp_path / "cache"
    _cache_test_split_statistics(folder, cache, tmp_path / "m")
    (file,) = cache.glob("digits-cnn-450-*.npz")
    mu, sigma, meta = load_stats(file)
    other = tmp_path / "other.npz"
    np.savez(other, mu=mu, sigma=sigma, gankit_meta=json.dumps({**meta, "feature_net_sha256": "f" * 64}))
    result = CliRunner().invoke(main, ["eval", "--fake", str(file), "--real", str(other)])
    assert result.exit_code != 0
    assert f"feature_net_sha256: '{meta['feature_net_sha256']}'" in result.output and "'" + "f" * 64 in result.output
    result = CliRunner().invoke(main, ["eval", "--fake", str(folder), "--real", str(other)])
    assert result.exit_code != 0 and "feature network 'digits-cnn'" in result.output and "f" * 64 in result.output


def test_foreign_statistics_are_used_with_a_warning(digit_pngs, tmp_path):
    """Protects reading another tool's .npz (mu and sigma only): FID works and the output says it is unchecked."""
    folder, _, _ = digit_pngs
    cache = tmp_path / "cache"
    _cache_test_split_statistics(folder, cache, tmp_path / "m")
    mu, sigma, _ = load_stats(next(cache.glob("digits-cnn-450-*.npz")))
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, mu=mu, sigma=sigma)
    out = _eval("--fake", str(folder), "--real", str(foreign), "--features", "digits")
    assert "carries no gankit metadata" in out and "records not written" in out


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (
            ["--fake", "nowhere/at/all", "--real", "builtin:digits-test"],
            "--fake 'nowhere/at/all': no such file or folder",
        ),
        (
            ["--fake", "builtin:mnist", "--real", "builtin:digits-test"],
            "not a built-in set; expected builtin:digits-test",
        ),
        (["--fake", "x.npz", "--real", "builtin:digits-test"], "--fake 'x.npz': no such file; expected a run folder"),
        (["--fake", "builtin:digits-test"], "needs --real SRC"),
        (["--real", "builtin:digits-test"], "needs --run RUN, or --fake SRC"),
        (["--fake", "builtin:digits-test", "--real", "builtin:digits-train", "--metrics", ","], "--metrics is empty"),
    ],
)
def test_bad_sources_are_one_line_errors_naming_value_and_forms(args, match):
    """Protects the source errors: the value, why, and the accepted forms, without a traceback."""
    result = CliRunner().invoke(main, ["eval", *args])
    assert result.exit_code == 2 and match in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_plain_file_is_not_a_source(tmp_path):
    """Protects the message for a file that is neither statistics nor a zip."""
    text = tmp_path / "notes.txt"
    text.write_text("x")
    with pytest.raises(Exception, match="neither .npz nor .zip; expected a run folder .* or a statistics file"):
        parse_source(str(text), "--real")


def test_statistics_files_serve_fid_only(digit_pngs, tmp_path):
    """Protects the refusal of feature metrics on a statistics file, saying what to pass instead."""
    folder, _, _ = digit_pngs
    cache = tmp_path / "cache"
    _cache_test_split_statistics(folder, cache, tmp_path / "m")
    file = next(cache.glob("digits-cnn-450-*.npz"))
    result = CliRunner().invoke(main, ["eval", "--fake", str(folder), "--real", str(file), "--metrics", "fid,kid"])
    assert result.exit_code == 2 and "--metrics kid needs features of both sets" in result.output


def test_run_name_is_the_shorthand_for_runs_name(run, tmp_path, monkeypatch):
    """Protects `--run NAME`: runs/NAME against its dataset's test split."""
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "tiny").symlink_to(run)
    monkeypatch.chdir(tmp_path)
    out = _eval("--run", "tiny", "--metrics", "fid", "--num-samples", "30")
    assert "against builtin:digits-test" in out and "fid30_digits" in out
    assert _records(run / "metrics.jsonl")[-2]["real_set"] == "digits test split (450 images)"


def test_every_metric_is_independent_of_the_batch_size(run, tmp_path):
    """Protects batch-size independence of every feature metric end to end (sampling and extraction batches)."""
    logs = []
    for batch in ("7", "64"):
        log = tmp_path / f"b{batch}.jsonl"
        args = ["--fake", str(run), "--real", "builtin:digits-test", "--metrics", "fid,kid,is,pr,dc"]
        _eval(*args, "--num-samples", "60", "--batch", batch, "--log", str(log), "--stats-cache", "off")
        logs.append(_records(log))
    for a, b in zip(*logs, strict=True):
        for key in a.get("result_keys", []):
            assert a[key] == pytest.approx(b[key], rel=1e-6, abs=1e-9), (a["name"], key)


def test_the_run_config_names_the_statistics_cache(tmp_path):
    """Protects eval.stats_dir: without --stats-cache, `gankit eval --run` caches where the run's config says."""
    run, cache = tmp_path / "run", tmp_path / "configured"
    args = [arg for kv in [*TINY, f"eval.stats_dir={cache}"] for arg in ("--set", kv)]
    result = CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(run), *args])
    assert result.exit_code == 0, result.output
    out = _eval("--run", str(run), "--metrics", "fid", "--num-samples", "20")
    assert f"statistics cached in {cache}" in out and len(list(cache.glob("digits-cnn-450-*.npz"))) == 1


@pytest.mark.parametrize(
    ("metrics", "match"),
    [("is", "--metrics is: IS needs at least as many samples as splits: 5 samples, splits=10; use more samples")],
)
def test_metric_guard_rails_are_one_line_cli_errors(run, metrics, match):
    """Protects the CLI path of the guard rails: a metric's refusal is printed as one line, not a traceback."""
    result = CliRunner().invoke(main, ["eval", "--run", str(run), "--metrics", metrics, "--num-samples", "5"])
    assert result.exit_code == 2 and match in result.output and "Traceback" not in result.output


def test_digits_features_on_your_own_images_warn_and_log_path_is_checked_first(digit_pngs, run, tmp_path):
    """Folders measured with the digits network get a warning naming the fix; a --log that cannot be written fails
    before any features are extracted, and missing parent folders are created."""
    folder, archive, _ = digit_pngs
    out = _eval("--fake", str(folder), "--real", str(archive), "--features", "digits", "--log", str(tmp_path / "a/b.j"))
    assert "warning: measuring your own images with the digits feature network" in out
    assert "use --features inception" in out and (tmp_path / "a" / "b.j").is_file()
    assert "warning: measuring your own images" not in _eval("--run", str(run), "--num-samples", "32")
    bad = CliRunner().invoke(main, ["eval", "--fake", str(folder), "--real", str(archive), "--log", str(tmp_path)])
    assert bad.exit_code == 2 and f"--log {tmp_path} is a folder" in bad.output


def test_a_runs_checkpoints_folder_is_a_run_source(run, tmp_path):
    """Regression: --run RUN/checkpoints was resolved as a run for the header but parsed as an empty image folder."""
    assert parse_source(str(run / "checkpoints"), "--fake").kind == "run"
    output = _eval("--run", str(run / "checkpoints"), "--num-samples", "32", "--log", str(tmp_path / "log.jsonl"))
    assert "fid32_digits" in output


def test_foreign_statistics_of_another_width_name_the_file_and_the_network(digit_pngs, tmp_path):
    """Another tool's 64-dim statistics against the 128-dim digits network fail naming the file and both widths."""
    folder, _, _ = digit_pngs
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, mu=np.zeros(64), sigma=np.eye(64))
    args = ["eval", "--fake", str(folder), "--real", str(foreign), "--features", "digits", "--log", str(tmp_path / "m")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    message = f"--real {foreign} holds 64-dimensional statistics, but feature network 'digits-cnn' gives 128"
    assert message in result.output
