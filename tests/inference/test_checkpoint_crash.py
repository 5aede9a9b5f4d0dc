"""SIGKILL half-way through writing a checkpoint: last.pt is still the previous whole one, ``--resume`` goes on from
it and ends exactly as an uninterrupted run; a truncated or foreign checkpoint is refused naming the file."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from toonlab.cli import main
from toonlab.errors import ToonlabError
from toonlab.testing import make_toy_cartoonset
from toonlab.inference.checkpoint import load_checkpoint, save_checkpoint

WORKER = Path(__file__).resolve().parents[1] / "crash_worker.py"
# One thread for exact equality; dropout so the resumed run must restore the torch RNG too.
ARGS = ["--image-size", "16", "--model.widths=[8]", "--model.head_width=16", "--batch-size", "8", "--epochs", "3",
        "--no-progress", "-q", "--train.precision=fp32", "--train.threads=1", "--train.patience=0",
        "--data.workers=1", "--eval.plots=false", "--model.head_dropout=0.2"]


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return make_toy_cartoonset(tmp_path_factory.mktemp("data") / "toy", n=40, size=16)


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_killed_while_writing_last_pt_resumes_to_the_uninterrupted_result(toy, tmp_path, capsys, one_thread):
    killed, full = tmp_path / "killed", tmp_path / "full"
    env = {**os.environ, "TOONLAB_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, str(WORKER), "checkpoint", "2", "train", str(toy), "-o", str(killed), *ARGS],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr
    ckpts = killed / "checkpoints"
    assert (ckpts / "last.pt.tmp").stat().st_size > 0  # the half-written one
    assert load_checkpoint(ckpts / "last.pt")["epoch"] == 1  # the one before it, whole

    assert main(["train", str(toy), "-o", str(killed), "--resume", *ARGS]) == 0
    assert main(["train", str(toy), "-o", str(full), *ARGS]) == 0
    resumed, reference = (load_checkpoint(p / "checkpoints" / "last.pt") for p in (killed, full))
    assert resumed["epoch"] == reference["epoch"] == 3
    for key, value in reference["model"].items():
        assert torch.equal(value, resumed["model"][key]), key
    assert _history(killed) == _history(full)
    assert not list(ckpts.glob("*.tmp"))


def test_a_truncated_checkpoint_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "last.pt"
    save_checkpoint(path, {"model": {"w": torch.arange(1000.0)}, "epoch": 1})
    os.truncate(path, path.stat().st_size // 2)
    with pytest.raises(ToonlabError, match=f"Checkpoint '{path}' could not be loaded safely.*corrupt"):
        load_checkpoint(path)


@pytest.mark.parametrize("payload", [{"state_dict": {"w": torch.ones(2)}}, [1, 2], {"format": 99}])
def test_a_foreign_checkpoint_is_refused_naming_the_file(tmp_path, payload):
    path = tmp_path / "model.pt"
    torch.save(payload, path)
    with pytest.raises(ToonlabError, match=f"'{path}' is not a toonlab checkpoint"):
        load_checkpoint(path)


@pytest.mark.parametrize("damage", ["truncate", "foreign"])
def test_resume_and_eval_from_a_damaged_checkpoint_exit_2_naming_it(toy, tmp_path, capsys, one_thread, damage):
    run = tmp_path / "run"
    assert main(["train", str(toy), "-o", str(run), *ARGS]) == 0
    capsys.readouterr()
    for name in ("last.pt", "best.pt"):
        path = run / "checkpoints" / name
        if damage == "truncate":
            os.truncate(path, path.stat().st_size // 3)
        else:
            torch.save({"state_dict": {}}, path)
    for argv, name in ((["train", str(toy), "-o", str(run), "--resume", *ARGS], "last.pt"),
                       (["eval", str(run), "-q"], "best.pt")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert str(run / "checkpoints" / name) in err and "Traceback" not in err, err


def _history(run: Path) -> list[dict]:
    with open(run / "history.csv", newline="") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]
