import json

import pytest
from click.testing import CliRunner

from gankit.cli import main
from gankit.metrics.provenance import ProvenanceError, check_comparable, compare_records
from tests.conftest import TINY


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    run = tmp_path_factory.mktemp("eval") / "run"
    args = [arg for kv in TINY for arg in ("--set", kv)]
    result = CliRunner().invoke(main, ["train", "--preset", "dcgan-digits", "--out", str(run), *args])
    assert result.exit_code == 0, result.output
    return run


def _eval(run, *args) -> list[dict]:
    result = CliRunner().invoke(main, ["eval", "--run", str(run), *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_eval_all_feature_metrics_with_provenance(run):
    """Protects the record format: every metric record names its count, network, hash, rule, sets and settings."""
    records = _eval(run, "--metrics", "fid,kid,pr,dc,is", "--num-samples", "100")
    by_name = {r["name"]: r for r in records}
    assert {"fid100_digits", "kid100_digits", "pr100_digits", "dc100_digits", "is100_digits"} <= set(by_name)
    for rec in by_name.values():
        assert rec["feature_net"] == "digits-cnn" and len(rec["feature_net_sha256"]) == 64
        assert rec["num_gen"] == 100 and rec["num_real"] == 450 and rec["real_set"].startswith("digits test split")
        assert "resize to 32x32" in rec["preprocessing"] and rec["gankit_version"] and rec["checkpoint"]
    assert by_name["kid100_digits"]["settings"] == {"subset_size": 100, "num_subsets": 100, "seed": 0}
    assert 1 <= by_name["is100_digits"]["value"] <= 10
    assert 0 <= by_name["pr100_digits"]["precision"] <= 1 and 0 <= by_name["dc100_digits"]["coverage"] <= 1


def test_records_with_other_counts_refuse_to_compare(run):
    """Protects the comparison guard: records at different sample counts are not comparable, and the error says why."""
    records = _eval(run, "--metrics", "fid", "--num-samples", "64") + _eval(
        run, "--metrics", "fid", "--num-samples", "80"
    )
    fids = [r for r in records if r["metric"] == "fid"]
    a, b = fids[-2], fids[-1]
    with pytest.raises(ProvenanceError, match="num_gen: 64 vs 80"):
        compare_records(a, b)
    again = [r for r in _eval(run, "--metrics", "fid", "--num-samples", "80", "--seed", "5") if r["metric"] == "fid"]
    check_comparable(b, again[-1])  # only the seed differs
    assert set(compare_records(b, again[-1])) == {"value", "reference", "ratio"}


def test_unknown_metric_and_missing_inception_weights_are_clear_errors(run, tmp_path):
    result = CliRunner().invoke(main, ["eval", "--run", str(run), "--metrics", "fdi"])
    assert result.exit_code != 0 and "did you mean 'fid'" in result.output
    missing = tmp_path / "nowhere.pth"
    result = CliRunner().invoke(
        main, ["eval", "--run", str(run), "--features", "inception", "--inception-weights", str(missing)]
    )
    assert result.exit_code != 0 and str(missing) in result.output and "6726825d0af5f729" in result.output
