"""Group integrity of the splits a training run writes (1 epoch, 16 px): a group column never straddles
train/val/test, ``--duplicates group`` keeps copies together (merging the groups they join), and
``--duplicates drop`` skips copies with a reason naming the kept file, so found = used + skipped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from PIL import Image

from toonlab.cli import main
from toonlab.testing import read_csv, shapes_image, train_cli


def shapes(path: Path, seed: int, size: int = 48) -> Path:
    return shapes_image(path, seed, size)


def near_copy(src: Path, dst: Path) -> None:
    """``src`` resized and re-saved as JPEG: a near-duplicate (close 8x8 fingerprint, 32x32 thumbnail within 40 levels)."""
    with Image.open(src) as im:
        im.resize((40, 40), Image.Resampling.BICUBIC).save(dst, quality=95)


train = train_cli


def splits(run: Path) -> dict[str, str]:
    return {row["file"]: row["split"] for row in read_csv(run / "splits.csv")}


def test_group_column_and_duplicate_copies_never_straddle_splits(tmp_path, capsys):
    data = tmp_path / "data"
    child = {}
    for i in range(30):
        name = f"img{i:02d}.png"
        shapes(data / name, seed=i)
        child[name] = f"c{i // 3}" if i < 27 else ""  # the last three have no group: each is its own
    shutil.copy(data / "img00.png", data / "copy.png")  # c0's drawing, filed again under c5
    child["copy.png"] = "c5"
    rows = ["file,kind,child"] + [f"{f},{'ab'[i % 2]},{c}" for i, (f, c) in enumerate(child.items())]
    (data / "labels.csv").write_text("\n".join(rows) + "\n")

    run = tmp_path / "run"
    metrics = train(capsys, data, run, "--source", "manifest", "--labels", "labels.csv", "--group-column", "child",
                    "--duplicates", "group")
    split = splits(run)
    assert set(split) == set(child) and set(split.values()) == {"train", "val", "test"}
    by_group: dict[str, set[str]] = {}
    for f, c in child.items():
        if c:
            by_group.setdefault(c, set()).add(split[f])
    assert all(len(s) == 1 for s in by_group.values()), by_group
    assert by_group["c0"] == by_group["c5"]  # joined by the copy, so both children share one split
    assert metrics["duplicates"]["clusters"] == 1 and metrics["duplicates"]["cross_split"] == []
    assert metrics["images"] == {"found": 31, "used": 31, "skipped": 0}


def _with_copies(root: Path) -> dict[str, str]:
    """26 distinct images in class folders a/ b/, plus three exact and two near copies; {copy: original}."""
    for i in range(26):
        shapes(root / "ab"[i % 2] / f"s{i:02d}.png", seed=i)
    copies = {}
    for i, src in enumerate(["a/s04.png", "b/s07.png", "a/s10.png"]):  # exact copies, into the other class folder
        dst = f"{'ba'[i % 2]}/x{i}.png"
        shutil.copy(root / src, root / dst)
        copies[dst] = src
    for src in ["a/s00.png", "a/s02.png"]:  # near copies, resized JPEGs in the other folder
        dst = f"b/y{src[3:5]}.jpg"
        near_copy(root / src, root / dst)
        copies[dst] = src
    return copies


def test_duplicates_group_keeps_every_copy_in_its_originals_split(tmp_path, capsys):
    data = tmp_path / "data"
    copies = _with_copies(data)
    report = tmp_path / "report.json"
    assert main(["check", str(data), "--source", "folders", "--image-size", "16", "--data.workers=1", "-q",
                 "--json", str(report)]) == 0
    capsys.readouterr()
    reported = json.loads(report.read_text())["duplicates"]
    assert reported["clusters"] == 5 and reported["cross_split"]  # left alone, some copies straddle the splits

    run = tmp_path / "run"
    metrics = train(capsys, data, run, "--source", "folders", "--duplicates", "group")
    split = splits(run)
    assert all(split[copy] == split[original] for copy, original in copies.items())
    assert metrics["duplicates"]["clusters"] == 5 and metrics["duplicates"]["cross_split"] == []
    assert metrics["images"] == {"found": 31, "used": 31, "skipped": 0}


def test_duplicates_drop_skips_copies_naming_the_kept_file(tmp_path, capsys):
    data = tmp_path / "data"
    copies = _with_copies(data)
    (data / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    run = tmp_path / "run"
    metrics = train(capsys, data, run, "--source", "folders", "--duplicates", "drop")

    reasons = {Path(r["file"]).relative_to(data).as_posix(): r["reason"] for r in read_csv(run / "skipped.csv")}
    assert reasons.pop("a/broken.png") == "not an image PIL can read"  # a PNG signature and nothing else
    kept = {}
    for dropped, reason in reasons.items():
        assert reason.startswith("duplicate of ") and reason.endswith(" (--duplicates drop)")
        kept[dropped] = reason[len("duplicate of "):-len(" (--duplicates drop)")]
    pairs = {frozenset(p) for p in copies.items()}
    assert len(kept) == 5 and {frozenset(p) for p in kept.items()} == pairs  # one of each pair dropped
    split = splits(run)
    assert not set(kept) & set(split) and set(kept.values()) <= set(split)
    assert metrics["images"] == {"found": 32, "used": 26, "skipped": 6}
    assert metrics["images"]["found"] == metrics["images"]["used"] + metrics["images"]["skipped"]
    assert sum(metrics["splits"].values()) == 26 and metrics["duplicates"]["clusters"] == 0
