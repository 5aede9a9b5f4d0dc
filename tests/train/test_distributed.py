"""Data-parallel training: sharding, the --nproc checks, and real 2-process gloo runs on CPU.

The two process runs share one module-scoped ``--nproc 2`` run (each launch costs a few seconds of
process start-up): one test reads its folder, the other resumes a copy of it under torchrun.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from toonlab.cli import main
from toonlab.data.batches import Batches
from toonlab.testing import TINY_TRAIN, make_toy_cartoonset, read_csv
from toonlab.train.callbacks import CSVLogger, EarlyStopping, ModelCheckpoint
from toonlab.inference.checkpoint import load_checkpoint
from toonlab.train.distributed import (
    ShardedBatches,
    every_process,
    on_main,
    rank_callbacks,
    shard,
)

TIMEOUT_S = 180
WORKER = Path(__file__).with_name("rank_worker.py")


def _batches(n: int, batch_size: int, *, seed: int = 0) -> Batches:
    images, labels = np.zeros((n, 4, 4, 3), np.uint8), np.zeros((n, 1), np.int64)
    return Batches(images, labels, np.arange(n), batch_size=batch_size, shuffle=True, seed=seed)


@pytest.mark.parametrize("n, batch_size, world", [(42, 16, 2), (45, 16, 2), (50, 12, 3), (33, 8, 4)])
def test_shards_are_disjoint_cover_each_batch_and_agree_across_ranks(n, batch_size, world):
    for epoch in (1, 2):
        full = _batches(n, batch_size)
        full.set_epoch(epoch)
        shards = [ShardedBatches(_batches(n, batch_size), rank=r, world=world) for r in range(world)]
        for s in shards:
            s.set_epoch(epoch)
        parts = [list(s.rows()) for s in shards]  # each rank built its own Batches: same seeded order
        assert all(len(p) == len(s) == len(parts[0]) for p, s in zip(parts, shards))
        for step, rows in enumerate(full.rows()):
            if step >= len(parts[0]):  # only a last batch too small to share is left out
                assert step == len(full) - 1 and len(rows) < 2 * world
                continue
            mine = [p[step] for p in parts]
            assert sorted(np.concatenate(mine)) == sorted(rows)  # covering, and disjoint (no row twice)
            assert all(len(m) >= 2 for m in mine) and max(map(len, mine)) - min(map(len, mine)) <= 1


def test_a_last_batch_too_small_to_share_is_left_out():
    b = _batches(37, 16)  # batches of 16, 16, 5: the 5 cannot give 3 processes 2 images each
    assert len(b) == 3 and len(ShardedBatches(b, rank=0, world=2)) == 3 and len(ShardedBatches(b, rank=0, world=3)) == 2
    x, y = next(iter(ShardedBatches(b, rank=1, world=2)))
    assert x.shape[0] == 8 and y.shape[0] == 8


def test_one_process_leaves_everything_as_it_was():
    train_b, val_b = _batches(10, 4), _batches(6, 4)
    assert shard(train_b, val_b) == (train_b, val_b)
    callbacks = [CSVLogger("h.csv"), EarlyStopping(), ModelCheckpoint("ck")]
    assert rank_callbacks(callbacks) is callbacks
    assert on_main(lambda: 7) == 7 and every_process(False) is False and every_process(True) is True


@pytest.mark.parametrize("argv, message", [
    (["--nproc", "0"], "Received: --nproc 0"),
    (["--nproc", "2", "--folds", "2"], "data.folds=2"),
    (["--nproc", "2", "--repeats", "2"], "train.repeats=2"),
    (["--nproc", "2", "--train.checkpoint_every=5"], "train.checkpoint_every=0"),
    (["--nproc", "2", "--batch-size", "3"], "train.batch_size >= 4"),
])
def test_nproc_mistakes_are_one_paragraph_and_exit_2(tmp_path, capsys, argv, message):
    code = main(["train", str(tmp_path), "-o", str(tmp_path / "run"), *argv, "-q"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_nproc_under_torchrun_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(["train", str(tmp_path), "-o", str(tmp_path / "run"), "--nproc", "2", "-q"]) == 2
    assert "without --nproc" in capsys.readouterr().err


@pytest.fixture(scope="module")
def nproc_run(tmp_path_factory):
    """``toonlab train DATA -o RUN --nproc 2`` (one epoch, task_balance on) in a subprocess: (RUN, stdout, stderr)."""
    root = tmp_path_factory.mktemp("ddp")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TOONLAB_CACHE", str(root / "cache"))
        data = make_toy_cartoonset(root / "toy", n=60, size=24)
        run = root / "run"
        done = _run([sys.executable, "-m", "toonlab", "train", str(data), "-o", str(run), "--nproc", "2",
                     *TINY_TRAIN, "--train.patience=0", "--train.task_balance=loss",
                     "--train.schedule=none"], cwd=root)  # constant rate: a test below resumes it to 3 epochs
    return run, done.stdout, done.stderr


def test_two_processes_train_and_only_rank_0_writes_the_run(nproc_run):
    run, out, err = nproc_run
    assert out.count("Metrics:") == 1 and "Traceback" not in err  # rank 1 printed nothing
    assert [p.relative_to(run.parent) for p in run.parent.rglob("metrics.json")] == [Path("run/metrics.json")]
    assert list(run.parent.rglob("checkpoints")) == [run / "checkpoints"]
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["best.pt", "last.pt"]
    assert len(list((run / "tb").glob("events.out.tfevents*"))) == 1  # one TensorBoard writer
    assert [row["epoch"] for row in read_csv(run / "history.csv")] == ["1"]  # one CSV logger
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["processes"] == 2 and "--nproc 2" in metrics["command"]
    assert sum(metrics["splits"].values()) == 60 and load_checkpoint(run / "checkpoints/last.pt")["epoch"] == 1


def test_torchrun_resume_rolls_back_every_rank_and_ends_with_identical_weights(nproc_run, tmp_path, monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(nproc_run[0], run)
    monkeypatch.setenv("TOONLAB_CACHE", str(nproc_run[0].parent / "cache"))
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(WORKER),
          str(run), "3", str(tmp_path)], cwd=tmp_path)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    saved = load_checkpoint(run / "checkpoints/last.pt")
    assert [r["rollbacks"] for r in ranks] == [1, 1] and [r["epoch"] for r in ranks] == [3, 3]
    for key, value in saved["model"].items():
        assert torch.equal(ranks[0]["model"][key], value) and torch.equal(ranks[1]["model"][key], value), key
    history = read_csv(run / "history.csv")
    assert [row["epoch"] for row in history] == ["1", "2", "3"] and history[-1]["rollbacks"] == "1"
    weights = {k: float(v) for k, v in history[-1].items() if k.startswith("loss_weight/")}
    assert len(weights) >= 2 and set(weights.values()) != {1.0}  # balanced through the 2-process run and its resume


def test_a_runaway_loss_on_one_rank_rolls_back_every_rank(nproc_run, tmp_path, monkeypatch):
    """Rank 1 alone sees its losses run away (steps 2-4 of the resumed run: 3 steps are one epoch); both roll back."""
    run = tmp_path / "run"
    shutil.copytree(nproc_run[0], run)
    monkeypatch.setenv("TOONLAB_CACHE", str(nproc_run[0].parent / "cache"))
    _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", str(WORKER),
          str(run), "3", str(tmp_path), "runaway"], cwd=tmp_path)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert [r["rollbacks"] for r in ranks] == [1, 1] and [r["epoch"] for r in ranks] == [3, 3]
    for key, value in ranks[0]["model"].items():
        assert torch.equal(ranks[1]["model"][key], value), key


def _run(command: list[str], *, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``command`` to completion (its whole process group is killed after TIMEOUT_S); assert exit 0."""
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:  # SIGTERM: the launcher (torchrun or --nproc) stops the ranks it started
        proc.terminate()
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        pytest.fail(f"{command[2:5]} still running after {TIMEOUT_S}s (a collective that never met?)\n{err[-3000:]}")
    assert proc.returncode == 0, err[-5000:]
    return subprocess.CompletedProcess(command, proc.returncode, out, err)
