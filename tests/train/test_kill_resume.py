"""kill -9 in the middle of an epoch, then ``--resume``: the run must end exactly as if never interrupted."""

import csv
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from toonlab.cli import main
from toonlab.testing import make_toy_cartoonset
from toonlab.inference.checkpoint import load_checkpoint

# 140 training images / batch 8 = 18 steps per epoch, a last.pt every 2 steps; one thread for exact equality;
# dropout and augmentation so that the torch RNG and the augmentation generator must be restored too.
ARGS = ["--image-size", "32", "--model.widths=[16,32]", "--model.head_width=32", "--batch-size", "8", "--epochs", "4",
        "--no-progress", "-q", "--train.precision=fp32", "--train.threads=1", "--train.patience=0",
        "--data.workers=1", "--train.checkpoint_every=2", "--model.head_dropout=0.2", "--augment.hflip=0.5",
        "--augment.p_noise=0.5", "--augment.noise_level=0.2", "--augment.noise_fraction=0.1"]
TIMEOUT_S = 60


@pytest.fixture
def one_thread():
    """The in-process runs set torch's thread count; give the rest of the session its own back."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGSTOP/SIGKILL")
def test_kill_mid_epoch_then_resume_matches_an_uninterrupted_run(tmp_path, one_thread):
    data = make_toy_cartoonset(tmp_path / "toy", n=200, size=32)
    killed, full = tmp_path / "killed", tmp_path / "full"
    child = subprocess.Popen([sys.executable, "-m", "toonlab", "train", str(data), "-o", str(killed), *ARGS],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with ThreadPoolExecutor(1) as pool:  # watch the child while the reference run trains here
        watcher = pool.submit(_kill_at_mid_epoch_checkpoint, child, killed / "checkpoints" / "last.pt")
        assert main(["train", str(data), "-o", str(full), *ARGS]) == 0
        at = watcher.result(TIMEOUT_S)
    assert at["step"] > 0 and at["epoch"] >= 1

    assert main(["train", str(data), "-o", str(killed), "--resume", *ARGS]) == 0

    resumed, reference = (load_checkpoint(p / "checkpoints" / "last.pt") for p in (killed, full))
    assert resumed["epoch"] == reference["epoch"] == 4 and resumed["step"] == 0
    for key, value in reference["model"].items():
        assert torch.equal(value, resumed["model"][key]), key
    for key, value in reference["optimizer"]["state"].items():
        assert all(torch.equal(v, resumed["optimizer"]["state"][key][k]) for k, v in value.items()), key
    assert _history(killed) == _history(full)
    assert [row["epoch"] for row in _history(killed)] == ["1", "2", "3", "4"]


def _kill_at_mid_epoch_checkpoint(child: subprocess.Popen, last) -> dict:
    """Freeze the child, look at last.pt; SIGKILL it once last.pt is mid-epoch (after epoch 1), else let it go on."""
    deadline = time.monotonic() + TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            if child.poll() is not None:
                pytest.fail(f"training finished before a mid-epoch checkpoint was seen: {child.stderr.read()!r}")
            os.kill(child.pid, signal.SIGSTOP)  # last.pt is replaced atomically, so a frozen writer is harmless
            ckpt = load_checkpoint(last) if last.exists() else {}
            if ckpt.get("step", 0) > 0 and ckpt["epoch"] >= 1:
                os.kill(child.pid, signal.SIGKILL)
                child.wait(TIMEOUT_S)
                return {"epoch": ckpt["epoch"], "step": ckpt["step"]}
            os.kill(child.pid, signal.SIGCONT)
            time.sleep(0.01)
        pytest.fail("no mid-epoch checkpoint within the timeout")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(TIMEOUT_S)


def _history(run) -> list[dict]:
    with open(run / "history.csv", newline="") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]
