"""Hostile files: nothing gankit loads can run code, and the source keeps it that way."""

import ast
import json
import pickle
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from gankit.cli import main
from gankit.digest import sha256_file
from gankit.errors import CheckpointError
from gankit.safe_load import load_torch_file
from gankit.train import checkpoint as ckpt
from gankit.train.loop import Trainer, prepare_run_dir
from tests.conftest import TINY

REPO = Path(__file__).parents[1]
SOURCE_DIRS = ("gankit", "scripts", "benchmarks")


class Payload:
    """Unpickling this creates the marker file: the 'code' a hostile checkpoint would run."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _reseal(folder: Path, file_name: str) -> None:
    """Record the new digest of a replaced file, as a forger would, so loading reaches the unpickler."""
    meta = json.loads((folder / "meta.json").read_text())
    meta["sha256"][file_name] = sha256_file(folder / file_name)
    del meta["meta_sha256"]
    (folder / "meta.json").write_text(json.dumps(meta))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("writer", ["torch.save", "plain pickle"])
def test_hostile_pickle_is_refused_and_its_payload_never_runs(tmp_path, writer):
    marker = tmp_path / "payload-ran"
    path = tmp_path / "state.pt"
    state = {"step": 1, "evil": Payload(marker)}
    if writer == "torch.save":
        torch.save(state, path)
    else:
        path.write_bytes(pickle.dumps(state))
    with pytest.raises(CheckpointError, match=r"refusing to load .*state\.pt.*could run code.*docs/reliability\.md"):
        load_torch_file(path)
    assert not marker.exists()


def test_hostile_checkpoint_in_a_run_folder_is_refused_by_resume(tiny_cfg, tmp_path):
    """`gankit train --resume PATH` on a checkpoint with a hostile state.pt fails cleanly, the payload unexecuted."""
    cfg = tiny_cfg()
    run = tmp_path / "run"
    prepare_run_dir(run, cfg)
    Trainer(cfg, run, log=lambda *a: None).train()
    folder = ckpt.resolve_checkpoint(run)
    marker = tmp_path / "payload-ran"
    torch.save({"step": 1, "evil": Payload(marker)}, folder / "state.pt")
    _reseal(folder, "state.pt")
    sets = [arg for kv in TINY for arg in ("--set", kv)]
    result = CliRunner().invoke(
        main, ["train", "--preset", "dcgan-digits", "--out", str(run), "--resume", str(folder), *sets]
    )
    assert result.exit_code == 2 and "refusing to load" in result.output and "Traceback" not in result.output
    assert not marker.exists()


def test_plain_tensors_and_numbers_still_load(tmp_path):
    path = tmp_path / "ok.pt"
    torch.save({"step": 3, "t": torch.arange(4), "nested": [1.5, "x", (2, 3)]}, path)
    loaded = load_torch_file(path)
    assert loaded["step"] == 3 and torch.equal(loaded["t"], torch.arange(4)) and loaded["nested"][2] == (2, 3)


def _python_files() -> list[Path]:
    return [p for d in SOURCE_DIRS for p in sorted((REPO / d).rglob("*.py"))]


def _call_name(node: ast.Call) -> str:
    """'torch.load' for torch.load(...), 'pickle.loads' for pickle.loads(...), 'eval' for eval(...)."""
    parts, func = [], node.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    parts.append(func.id if isinstance(func, ast.Name) else "(...)")  # module.eval() is not eval()
    return ".".join(reversed(parts))


UNSAFE_CALLS = {
    "pickle.load",
    "pickle.loads",
    "pickle.Unpickler",
    "dill.load",
    "dill.loads",
    "joblib.load",
    "marshal.load",
    "marshal.loads",
    "yaml.load",
    "yaml.unsafe_load",
    "yaml.full_load",
    "torch.jit.load",
    "eval",
    "exec",
}


def test_no_code_path_can_unpickle_user_files():
    """Scans gankit, scripts and benchmarks: torch.load only with weights_only=True, and no other unpickler."""
    problems = []
    for path in _python_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name, where = _call_name(node), f"{path.relative_to(REPO)}:{node.lineno}"
            keywords = {k.arg: k.value for k in node.keywords}
            if name in UNSAFE_CALLS:
                problems.append(f"{where}: {name}(...)")
            if name.endswith("torch.load") or name == "load" and "weights_only" in keywords:
                flag = keywords.get("weights_only")
                if not (isinstance(flag, ast.Constant) and flag.value is True):
                    problems.append(f"{where}: torch.load without weights_only=True")
            if name.endswith(("np.load", "numpy.load")):
                flag = keywords.get("allow_pickle")
                if flag is not None and not (isinstance(flag, ast.Constant) and flag.value is False):
                    problems.append(f"{where}: np.load with allow_pickle")
        if "weights_only=False" in path.read_text():
            problems.append(f"{path.relative_to(REPO)}: mentions weights_only=False")
    assert not problems, "unsafe loading:\n" + "\n".join(problems)


def test_the_scan_would_catch_an_unsafe_load(tmp_path, monkeypatch):
    """The scanner itself works: an unsafe file among the scanned ones is reported."""
    bad = tmp_path / "gankit" / "bad.py"
    bad.parent.mkdir()
    bad.write_text("import torch\nx = torch.load('f.pt')\ny = torch.load('g.pt', weights_only=False)\n")
    monkeypatch.setattr("tests.test_safe_load.REPO", tmp_path)
    with pytest.raises(AssertionError, match=r"gankit/bad.py:2: torch.load without weights_only=True"):
        test_no_code_path_can_unpickle_user_files()
