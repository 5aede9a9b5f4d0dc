"""``toonlab audit`` end to end on a very separable toy set with a few flipped labels, and ``--exclude``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from toonlab.audit.confident import find_label_issues
from toonlab.cli import main
from toonlab.testing import TINY_TRAIN, read_csv, write_image, write_lines

COLOURS = {"red": (220, 30, 30), "blue": (30, 30, 220)}
FLIPPED = {"img03.png": "blue", "img20.png": "red"}  # drawn red / blue, labelled the other colour
AUDIT_FAST = ["--folds", "3", "--epochs", "8", "--image-size", "8", "--model.widths=[8]", "--model.head_width=16",
              "--train.batch_size=8", "--train.precision=fp32", "--data.workers=1", "--no-progress", "-q"]


def toy_manifest(root: Path, n: int = 36) -> Path:
    """``n`` one-colour images (half red, half blue; shades differ a little) and labels.csv with 2 labels flipped."""
    lines = ["file,colour"]
    for i in range(n):
        drawn = "red" if i < n // 2 else "blue"
        shade = tuple(max(0, c - 3 * (i % 5)) for c in COLOURS[drawn])
        name = f"img{i:02d}.png"
        write_image(root, name, shade)
        lines.append(f"{name},{FLIPPED.get(name, drawn)}")
    write_lines(root / "labels.csv", *lines)
    return root


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    root = toy_manifest(tmp_path_factory.mktemp("toys"))
    out = root.parent / "audit"
    code = main(["audit", str(root), "-o", str(out), "--source", "manifest", "--labels", "labels.csv", *AUDIT_FAST])
    assert code == 0
    return root, out


def test_flipped_labels_are_flagged_with_the_drawn_colour(audited):
    root, out = audited
    rows = read_csv(out / "audit.csv")
    assert list(rows[0]) == ["file", "task", "given", "suggested", "confidence", "rank", "given_probability"]
    flagged = {r["file"]: r for r in rows}
    assert set(FLIPPED) <= set(flagged)
    for name, given in FLIPPED.items():
        assert flagged[name]["given"] == given and flagged[name]["suggested"] != given
    assert sorted(int(r["rank"]) for r in rows) == list(range(1, len(rows) + 1))


def test_the_audit_writes_its_page_summary_and_fold_networks(audited):
    root, out = audited
    page = (out / "audit.html").read_text(encoding="utf-8")
    assert "img03.png" in page and 'class="thumb"' in page
    summary = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert summary["tasks"]["colour"]["audited"] == 36 and summary["flagged"] >= 2
    assert "3 folds x 8 epochs" in summary["plan"]
    assert sorted(p.name for p in (out / "folds").iterdir()) == ["fold-1", "fold-2", "fold-3"]


def test_the_out_of_fold_probabilities_are_kept_and_rank_again_to_the_same_flags(audited):
    root, out = audited
    saved = np.load(out / "oof_probs.npz")
    assert len(saved["__files__"]) == 36 and saved["colour"].shape == (36, 2)
    assert np.allclose(saved["colour"].astype(np.float32).sum(axis=1), 1, atol=1e-2)
    files = list(saved["__files__"])
    labels = {r["file"]: r["colour"] for r in read_csv(root / "labels.csv")}
    classes = sorted(set(labels.values()))
    given = np.array([classes.index(labels[f]) for f in files])
    found = find_label_issues(saved["colour"].astype(np.float32), given)
    assert {files[i] for i in found.rows} == {r["file"] for r in read_csv(out / "audit.csv")}


def test_train_exclude_drops_exactly_the_listed_files_and_reports_them(audited, tmp_path, capsys):
    root, out = audited
    listing = write_lines(tmp_path / "errors.csv", "file,task,given,suggested",
                          "img03.png,colour,blue,red", "img20.png,colour,red,blue")
    run = tmp_path / "run"
    code = main(["train", str(root), "-o", str(run), "--source", "manifest", "--labels", "labels.csv",
                 "--exclude", str(listing), *TINY_TRAIN])
    assert code == 0, capsys.readouterr().err
    skipped = {Path(r["file"]).name: r["reason"] for r in read_csv(run / "skipped.csv")}
    assert set(skipped) == set(FLIPPED)
    assert "--exclude errors.csv" in skipped["img03.png"] and "given 'blue', suggested 'red'" in skipped["img03.png"]
    metrics = json.loads((run / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["images"] == {"found": 36, "used": 34, "skipped": 2}


def test_audit_of_a_run_folder_reuses_its_data_options(audited, tmp_path, capsys):
    root, _ = audited
    run = tmp_path / "run"
    assert main(["train", str(root), "-o", str(run), "--source", "manifest", "--labels", "labels.csv",
                 *TINY_TRAIN]) == 0
    assert main(["audit", str(run), *AUDIT_FAST[:2], "--epochs", "1", *AUDIT_FAST[4:]]) == 0
    printed = capsys.readouterr().out
    assert (run / "audit" / "audit.csv").exists() and "--exclude" in printed


@pytest.mark.parametrize("args, message", [
    (["--folds", "1"], "data.folds must be 0 (one train/val/test split) or at least 2"),
    (["--source", "manifest", "--labels", "nope.csv"], "nope.csv"),
])
def test_user_mistakes_exit_2_with_a_sentence(audited, tmp_path, capsys, args, message):
    root, _ = audited
    code = main(["audit", str(root), "-o", str(tmp_path / "a"), *args, "-q"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
