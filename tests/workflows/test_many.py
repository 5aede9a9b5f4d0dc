"""k-fold and repeated-seed runs end to end (1 epoch, 16 px): member folders, every image tested exactly
once, groups kept whole, mean ± std in RUN/metrics.json, ``toonlab eval RUN`` re-aggregating, and
folds + repeats refused."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from toonlab.cli import main
from toonlab.testing import TINY_TRAIN as TINY
from toonlab.testing import shapes_image


def shapes(path: Path, seed: int, size: int = 32) -> Path:
    return shapes_image(path, seed, size)


def splits(run: Path) -> dict[str, str]:
    """RUN/splits.csv as {file: split}."""
    with (run / "splits.csv").open(newline="", encoding="utf-8") as f:
        return {row["file"]: row["split"] for row in csv.DictReader(f)}


@pytest.fixture
def data(tmp_path) -> Path:
    """30 images in a manifest: task ``kind`` (3 classes) and a ``child`` group column (10 children of 3)."""
    root = tmp_path / "data"
    lines = ["file,kind,child"]
    for i in range(30):
        shapes(root / f"img{i:02d}.png", seed=i)
        lines.append(f"img{i:02d}.png,{'abc'[i % 3]},c{i // 3}")
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    return root


LABELS = ["--source", "manifest", "--labels", "labels.csv"]


def test_grouped_folds_test_every_image_once_and_eval_reaggregates(data, tmp_path, capsys):
    run = tmp_path / "cv"
    code = main(["train", str(data), "-o", str(run), *LABELS, "--group-column", "child", "--folds", "3", *TINY])
    assert code == 0 and "3 folds:" in capsys.readouterr().out
    members = [run / f"fold-{k}" for k in (1, 2, 3)]
    assert sorted(p.name for p in run.iterdir() if p.is_dir()) == ["fold-1", "fold-2", "fold-3"]
    for member in members:
        for name in ("config.yaml", "splits.csv", "skipped.csv", "metrics.json", "checkpoints/best.pt"):
            assert (member / name).exists(), member / name

    child = {f"img{i:02d}.png": f"c{i // 3}" for i in range(30)}
    tested = [f for member in members for f, s in splits(member).items() if s == "test"]
    assert sorted(tested) == sorted(child)  # every image in exactly one member's test split
    for member in members:
        split_of: dict[str, set[str]] = {}
        for f, s in splits(member).items():
            split_of.setdefault(child[f], set()).add(s)
        assert len(split_of) == 10 and all(len(s) == 1 for s in split_of.values()), split_of

    summary = json.loads((run / "metrics.json").read_text())
    assert summary["kind"] == "folds" and list(summary["members"]) == ["fold-1", "fold-2", "fold-3"]
    acc = summary["tasks"]["kind"]["accuracy"]
    own = [json.loads((m / "metrics.json").read_text())["tasks"]["kind"]["accuracy"] for m in members]
    assert acc["values"] == pytest.approx(own) and acc["mean"] == pytest.approx(np.mean(own))
    assert acc["std"] == pytest.approx(np.std(own, ddof=1))
    assert {"mean", "std", "values"} <= set(summary["tasks"]["kind"]["macro_f1"])
    n_test = [json.loads((m / "metrics.json").read_text())["tasks"]["kind"]["n_test"] for m in members]
    assert sum(n_test) == 30

    (run / "metrics.json").unlink()
    assert main(["eval", str(run), "-q"]) == 0
    out = capsys.readouterr().out
    again = json.loads((run / "metrics.json").read_text())
    assert "3 folds:" in out and again["kind"] == "folds" and list(again["members"]) == list(summary["members"])
    assert again["tasks"]["kind"]["accuracy"]["values"] == pytest.approx(acc["values"])

    assert main(["eval", str(run), "--robustness", "-q"]) == 2  # one run at a time: name a member
    err = capsys.readouterr().err
    assert "fold-1, fold-2, fold-3" in err and f"{run / 'fold-1'} --robustness" in err and "Traceback" not in err
    assert not (run / "splits.csv").exists() and not (run / "robustness.json").exists()


def test_repeats_train_each_seed_on_the_same_split(data, tmp_path, capsys):
    run = tmp_path / "rep"
    code = main(["train", str(data), "-o", str(run), *LABELS, "--repeats", "2", "--seed", "0", *TINY])
    assert code == 0 and "2 seeds:" in capsys.readouterr().out
    assert all((run / f"seed-{s}" / "checkpoints" / "best.pt").exists() for s in (0, 1))
    assert splits(run / "seed-0") == splits(run / "seed-1")
    assert json.loads((run / "seed-1" / "metrics.json").read_text())["seed"] == 1
    summary = json.loads((run / "metrics.json").read_text())
    assert summary["kind"] == "repeats" and list(summary["members"]) == ["seed-0", "seed-1"]
    assert len(summary["tasks"]["kind"]["accuracy"]["values"]) == 2


@pytest.mark.parametrize("options, named", [
    (["--folds", "3", "--repeats", "2"], "not both"),
    (["--folds", "11", "--group-column", "child"], "number of groups (10)"),  # more folds than children
])
def test_impossible_folds_are_refused_without_leaving_a_run(data, tmp_path, capsys, options, named):
    run = tmp_path / "r"
    code = main(["train", str(data), "-o", str(run), *LABELS, *options, *TINY])
    err = capsys.readouterr().err
    assert code == 2 and named in err and "--folds" in err and "Traceback" not in err
    assert not (run / "config.yaml").exists()  # the corrected command needs no --resume


def test_eval_repeats_retrains_the_runs_config_and_reports_mean_and_std(tmp_path, capsys):
    data = tmp_path / "data"
    for i in range(24):
        shapes(data / ("a" if i % 2 else "b") / f"{i}.png", seed=i)
    run = tmp_path / "run"
    assert main(["train", str(data), "-o", str(run), "--source", "folders", *TINY]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--repeats", "2", "-q"]) == 0
    out = capsys.readouterr().out
    summary = json.loads((run / "repeats" / "metrics.json").read_text())
    assert summary["kind"] == "repeats" and list(summary["members"]) == ["seed-0", "seed-1"]
    assert "2 seeds" in out and "±" in out
    assert main(["eval", str(run), "--repeats", "2", "-q"]) == 0  # a second call reuses the finished seeds
