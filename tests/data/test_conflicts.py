"""Label conflicts: duplicate clusters whose copies carry different labels for a task are found (a missing or
undrawn label is none), listed by ``check`` (text and ``--json``), warned about at the start of ``train`` with
``RUN/conflicts.csv`` and the report, kept with ``group``, reduced to one copy by ``drop`` and dropped whole by
``--duplicates drop-conflicts`` (found = used + skipped, every dropped file with its reason)."""

from __future__ import annotations

import json
import logging
import math
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from toonlab.cli import main
from toonlab.data.conflicts import (
    Conflict,
    conflict_rows,
    describe,
    disagreements,
    drop_reason,
    report_entries,
    summary,
    write_conflicts,
)
from toonlab.data.samples import REGRESSION, TaskSpec
from toonlab.testing import TINY_TRAIN, read_csv, shapes_image

NAN = math.nan
TASKS = {"kind": TaskSpec("kind", classes=("a", "b")), "tone": TaskSpec("tone", classes=("dark", "light"))}


def _labels(rows: list[list[float]]) -> np.ndarray:
    return np.array(rows, dtype=np.float32)


def test_copies_that_disagree_conflict_per_task_and_a_missing_label_does_not():
    labels = _labels([[0, 0], [0, 1],      # cluster 0: same kind, different tone
                      [1, 0], [1, NAN],    # cluster 1: the second copy has no tone: not a conflict
                      [0, 0], [1, 1],      # cluster 2: both tasks differ
                      [1, 1]])             # no cluster
    clusters = [np.array([0, 1]), np.array([2, 3]), np.array([4, 5])]
    found = disagreements(clusters, labels, np.zeros(labels.shape, bool), TASKS)
    assert found == [(0, "tone"), (2, "kind"), (2, "tone")]
    assert conflict_rows(clusters, found).tolist() == [0, 1, 4, 5]
    assert conflict_rows(clusters, []).tolist() == []


def test_a_label_that_is_not_drawn_is_no_conflict():
    labels = _labels([[0, 0], [0, 1]])
    hidden = np.array([[False, False], [False, True]])  # tone is not drawn in the second copy
    assert disagreements([np.array([0, 1])], labels, hidden, TASKS) == []
    assert disagreements([np.array([0, 1])], labels, np.zeros((2, 2), bool), TASKS) == [(0, "tone")]


def test_regression_values_and_combined_tasks():
    tasks = {"age": TaskSpec("age", REGRESSION), "kind": TASKS["kind"], "tone": TASKS["tone"],
             "kind+tone": TaskSpec("kind+tone", classes=("a|dark", "a|light"), factors=("kind", "tone"))}
    labels = _labels([[6.5, 0, 0, 0], [6.5, 0, 1, 1], [3.0, 1, 0, NAN], [3.25, 1, 0, NAN]])
    found = disagreements([np.array([0, 1]), np.array([2, 3])], labels, np.zeros(labels.shape, bool), tasks)
    assert found == [(0, "tone"), (1, "age")]  # kind+tone is said by its factor tone
    alone = {"kind+tone": tasks["kind+tone"]}  # a combined task whose factors are not tasks is checked itself
    assert disagreements([np.array([0, 1])], labels[:, 3:], np.zeros((4, 1), bool), alone) == [(0, "kind+tone")]


def test_described_with_files_labels_pixels_and_where_each_file_went(tmp_path):
    images = np.zeros((4, 8, 8, 3), np.uint8)
    images[3, 0, 0] = 9  # a near copy of image 2, not identical
    labels = _labels([[0, 1], [0, 0], [1, 1], [0, NAN]])
    clusters = [np.array([0, 1]), np.array([2, 3])]
    files = ["a.png", "b.png", "c.png", "d.jpg"]
    found = disagreements(clusters, labels, np.zeros(labels.shape, bool), TASKS)
    conflicts = describe(clusters, found, labels=labels, hidden=np.zeros(labels.shape, bool), tasks=TASKS,
                         files=files, images=images)
    assert conflicts == [Conflict("tone", 1, ("a.png", "b.png"), ("light", "dark"), True, (True, True)),
                         Conflict("kind", 2, ("c.png", "d.jpg"), ("b", "a"), False, (True, True))]
    conflicts[1] = Conflict("kind", 2, ("c.png", "d.jpg"), ("b", "a"), False, (True, False))
    entries = report_entries(conflicts, {"a.png": "train", "b.png": "test", "c.png": "val"})
    assert [e["splits"] for e in entries] == [["train", "test"], ["val", "dropped"]]
    assert [e["pixels"] for e in entries] == ["identical", "near"]
    write_conflicts(tmp_path / "conflicts.csv", entries)
    rows = read_csv(tmp_path / "conflicts.csv")
    assert [tuple(r.values()) for r in rows] == [("tone", "1", "a.png", "light", "train", "identical"),
                                                ("tone", "1", "b.png", "dark", "test", "identical"),
                                                ("kind", "2", "c.png", "b", "val", "near"),
                                                ("kind", "2", "d.jpg", "a", "dropped", "near")]
    assert summary(entries).startswith("2 duplicate clusters carry different labels for the same task (tone: 1; kind: 1)")
    assert drop_reason(conflicts, "d.jpg") == "its copies disagree: kind 'a' here, c.png 'b' (--duplicates drop-conflicts)"
    write_conflicts(tmp_path / "none.csv", [])
    assert (tmp_path / "none.csv").read_text().strip() == "task,cluster,file,label,split,pixels"


def _collection(root: Path) -> dict[str, set[str]]:
    """30 different images with a manifest of kind and tone, and four copies: {what: files}.

    s00/x0 disagree on tone; s02/x2 (a resized JPEG) disagree on kind and tone; s01/x1 agree where both are
    labelled (x1 has no tone); s03/x3 agree on everything."""
    rows = {f"s{i:02d}.png": ("ab"[i % 2], ["dark", "light"][i // 2 % 2]) for i in range(30)}
    for name in rows:
        shapes_image(root / name, int(name[1:3]), 48)
    for src, dst in [("s00.png", "x0.png"), ("s01.png", "x1.png"), ("s03.png", "x3.png")]:
        shutil.copy(root / src, root / dst)
    with Image.open(root / "s02.png") as im:
        im.resize((40, 40), Image.Resampling.BICUBIC).save(root / "x2.jpg", quality=95)
    rows.update({"x0.png": (rows["s00.png"][0], "light"), "x1.png": (rows["s01.png"][0], ""),
                 "x2.jpg": ("b", "dark"), "x3.png": rows["s03.png"]})
    assert rows["s00.png"][1] == "dark" and rows["s02.png"] == ("a", "light")
    (root / "labels.csv").write_text("file,kind,tone\n" + "".join(f"{f},{k},{t}\n" for f, (k, t) in rows.items()))
    return {"conflicting": {"s00.png", "x0.png", "s02.png", "x2.jpg"}, "agreeing": {"s01.png", "x1.png", "s03.png", "x3.png"}}


SOURCE = ["--source", "manifest", "--labels", "labels.csv"]


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([*map(str, argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


def _by_task(entries: list[dict]) -> dict[str, list[set[str]]]:
    found: dict[str, list[set[str]]] = {}
    for e in entries:
        found.setdefault(e["task"], []).append(set(e["files"]))
    return found


def test_check_lists_the_clusters_whose_labels_disagree(tmp_path, capsys):
    data = tmp_path / "data"
    _collection(data)
    report = tmp_path / "check.json"
    code, out, _ = _run(capsys, "check", data, *SOURCE, "--image-size", "16", "--data.workers=1", "-q",
                        "--json", report)
    assert code == 0
    dup = json.loads(report.read_text())["duplicates"]
    assert dup["clusters"] == 4
    assert _by_task(dup["conflicts"]) == {"tone": [{"s00.png", "x0.png"}, {"s02.png", "x2.jpg"}],
                                          "kind": [{"s02.png", "x2.jpg"}]}
    near = next(e for e in dup["conflicts"] if e["task"] == "kind")
    assert near["pixels"] == "near" and dict(zip(near["files"], near["labels"])) == {"s02.png": "a", "x2.jpg": "b"}
    assert "label conflicts: 2 duplicate clusters carry different labels for the same task (tone: 2; kind: 1)" in out
    assert "  kind: s02.png 'a' [" in out and "x2.jpg 'b' [" in out and "(near-duplicates)" in out
    listed = out[out.index("label conflicts:"):]
    assert "x1.png" not in listed and "x3.png" not in listed  # a missing label and equal labels are no conflict


def test_train_warns_writes_conflicts_csv_and_the_report_shows_them(tmp_path, capsys, caplog):
    data, run = tmp_path / "data", tmp_path / "run"
    _collection(data)
    code, _, err = _run(capsys, "train", data, "-o", run, *SOURCE, *TINY_TRAIN)
    assert code == 0, err
    line = next(r.getMessage() for r in caplog.records if "carry different labels" in r.getMessage())
    assert next(r for r in caplog.records if "carry different labels" in r.getMessage()).levelname == "WARNING"
    assert line.startswith("2 duplicate clusters carry different labels for the same task (tone: 2; kind: 1), e.g. ")
    assert "conflicts.csv lists them all" in line and "drop-conflicts" in line
    rows = read_csv(run / "conflicts.csv")
    assert len(rows) == 6 and {r["file"] for r in rows} == {"s00.png", "x0.png", "s02.png", "x2.jpg"}
    split = {r["file"]: r["split"] for r in read_csv(run / "splits.csv")}
    assert all(r["split"] == split[r["file"]] for r in rows)  # the split each copy went to
    metrics = json.loads((run / "metrics.json").read_text())
    assert len(metrics["duplicates"]["conflicts"]) == 3
    html = (run / "report.html").read_text()
    assert "2 clusters of duplicate images carry different labels for the same task" in html  # a warning
    assert "Label conflicts (2)" in html and "x2.jpg" in html


def test_drop_conflicts_drops_every_copy_of_them_and_says_why(tmp_path, capsys, caplog):
    data, run = tmp_path / "data", tmp_path / "run"
    files = _collection(data)
    caplog.set_level(logging.INFO, logger="toonlab")  # the line is information: all is dealt with
    code, _, err = _run(capsys, "train", data, "-o", run, *SOURCE, "--duplicates", "drop-conflicts", *TINY_TRAIN)
    assert code == 0, err
    metrics = json.loads((run / "metrics.json").read_text())
    images = metrics["images"]
    assert images == {"found": 34, "used": 28, "skipped": 6}  # 4 conflicting copies, one of each agreeing pair
    assert images["found"] == images["used"] + images["skipped"]
    reasons = {Path(r["file"]).name: r["reason"] for r in read_csv(run / "skipped.csv")}
    assert set(reasons) == files["conflicting"] | {"x1.png", "x3.png"}
    assert reasons["x2.jpg"] == ("its copies disagree: kind 'b' here, s02.png 'a'; tone 'dark' here, s02.png "
                                 "'light' (--duplicates drop-conflicts)")
    assert reasons["x3.png"] == "duplicate of s03.png (--duplicates drop-conflicts)"
    assert not set(reasons) & {r["file"] for r in read_csv(run / "splits.csv")}
    assert {r["split"] for r in read_csv(run / "conflicts.csv")} == {"dropped"}
    line = next(r for r in caplog.records if "carry different labels" in r.getMessage())
    assert line.levelname == "INFO" and "drop-conflicts dropped every copy" in line.getMessage()
    assert "Label conflicts (2)" in (run / "report.html").read_text()
    assert "carry different labels for the same task, so" not in (run / "report.html").read_text()  # no warning


def test_group_keeps_conflicting_copies_in_one_split_and_drop_keeps_the_first(tmp_path, capsys):
    data = tmp_path / "data"
    _collection(data)
    report = tmp_path / "check.json"
    base = ["check", data, *SOURCE, "--image-size", "16", "--data.workers=1", "-q", "--json", report]
    assert _run(capsys, *base, "--duplicates", "group")[0] == 0
    entries = json.loads(report.read_text())["duplicates"]["conflicts"]
    assert len(entries) == 3 and all(len(set(e["splits"])) == 1 and "dropped" not in e["splits"] for e in entries)

    code, out, _ = _run(capsys, *base, "--duplicates", "drop")
    saved = json.loads(report.read_text())
    entries = saved["duplicates"]["conflicts"]
    assert len(entries) == 3 and all(e["splits"][0] != "dropped" and e["splits"][1:] == ["dropped"] for e in entries)
    assert "drop kept the first copy's label" in out
    assert saved["found"] == saved["used"] + len(saved["skipped"]) == 34 and len(saved["skipped"]) == 4


def test_when_every_image_conflicts_drop_conflicts_leaves_none_and_says_so(tmp_path, capsys):
    data = tmp_path / "data"
    (data / "b").mkdir(parents=True)
    for i in range(3):  # each drawing filed under both classes
        shutil.copy(shapes_image(data / "a" / f"s{i}.png", i, 48), data / "b" / f"s{i}.png")
    report = tmp_path / "check.json"
    code, out, _ = _run(capsys, "check", data, "--source", "folders", "--duplicates", "drop-conflicts",
                        "--image-size", "16", "--data.workers=1", "-q", "--json", report)
    saved = json.loads(report.read_text())
    assert code == 1 and saved["used"] == 0 and saved["found"] == len(saved["skipped"]) == 6
    assert all(s["reason"].startswith("its copies disagree: class ") for s in saved["skipped"])
    code, _, err = _run(capsys, "train", data, "-o", tmp_path / "run", "--source", "folders",
                        "--duplicates", "drop-conflicts", *TINY_TRAIN)
    assert code == 2 and "None of the 6 images" in err and "its copies disagree" in err and "Traceback" not in err
