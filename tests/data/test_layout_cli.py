"""Layout detection through the command line: ``check`` and ``train`` say which layout they chose, an
explicit ``--source`` wins, and a folder with no usable image gets every reason and what to try instead."""

from __future__ import annotations

import logging
from pathlib import Path

from toonlab.cli import main
from toonlab.testing import shapes_image

FAST = ["--image-size", "16", "--data.workers=1", "-q"]
SMALL = ["--model.widths=[4]", "--model.head_width=8", "--model.convs_per_stage=1", "--epochs", "1",
         "--batch-size", "8"]


def class_folders(root: Path, classes: str = "ab", per_class: int = 6) -> Path:
    for k, c in enumerate(classes):
        for i in range(per_class):
            shapes_image(root / c / f"{i}.png", seed=100 * k + i, size=16)
    return root


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([*map(str, argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_check_prints_the_layout_it_detected(tmp_path, capsys):
    code, out, _ = run(capsys, "check", class_folders(tmp_path / "imgs"), *FAST)
    assert code == 0
    assert "(folders): found 12, usable 12, skipped 0" in out
    assert "Layout: class sub-folders (2 classes, 12 images); --source folders" in out


def test_check_states_the_layout_once_not_also_as_a_log_line(tmp_path, capsys, caplog):
    with caplog.at_level(logging.INFO, logger="toonlab"):
        code, out, err = run(capsys, "check", class_folders(tmp_path / "imgs"), "--image-size", "16", "--no-progress")
    assert code == 0 and out.count("Layout: ") == 1 and "Layout: " not in caplog.text + err


def test_an_explicit_source_wins_and_prints_no_layout(tmp_path, capsys):
    root = class_folders(tmp_path / "imgs")
    (root / "labels.csv").write_text("file,kind\na/0.png,x\nb/0.png,y\n")  # auto would read this manifest
    code, out, _ = run(capsys, "check", root, "--source", "folders", *FAST)
    assert code == 0 and "(folders): found 13, usable 12" in out and "Layout:" not in out


def test_train_logs_the_layout_it_detected(tmp_path, capsys, caplog):
    root = class_folders(tmp_path / "imgs")
    with caplog.at_level(logging.INFO, logger="toonlab"):
        code, out, err = run(capsys, "train", root, "-o", tmp_path / "run", *FAST, *SMALL)
    assert code == 0, err
    assert "Layout: class sub-folders (2 classes, 12 images); --source folders" in caplog.text
    assert "class" in out


def test_unlabelled_images_give_the_command_for_each_layout(tmp_path, capsys):
    for i in range(4):
        shapes_image(tmp_path / "imgs" / f"cat_{i}.png", seed=i, size=16)
    for verb in (["check"], ["train", "-o", str(tmp_path / "run")]):
        code, _, err = run(capsys, *verb, tmp_path / "imgs", *FAST)
        assert code == 2 and "Traceback" not in err
        assert "4 images (4 at the top level)" in err
        assert "--source filename --pattern" in err and "--source folders`" in err
        assert "--source manifest --labels labels.csv`" in err


def _broken_manifest(root: Path) -> Path:
    for i in range(2):
        shapes_image(root / f"x{i}.png", seed=i, size=16)
    (root / "labels.csv").write_text("file,kind\ngone.png,a\nx0.png\nnotes.txt,b\n")
    return root


def test_check_lists_every_row_when_no_row_of_the_manifest_is_usable(tmp_path, capsys):
    root = _broken_manifest(tmp_path / "data")
    code, out, err = run(capsys, "check", root, *FAST)
    assert code == 1 and "Traceback" not in err
    assert "(manifest): found 4, usable 0, skipped 4" in out
    assert "Layout: one manifest labels.csv" in out
    expected = {"gone.png": "labels.csv line 2: file 'gone.png' does not exist",
                "x0.png": "labels.csv line 3: expected 2 fields (file, kind), found 1",
                "notes.txt": "labels.csv line 4: 'notes.txt' is not an image file name",
                "x1.png": "not listed in labels.csv"}
    for name, reason in expected.items():
        assert f"  {root / name}: {reason}" in out, (name, out)
    assert "No usable image." in out and "--source folders`" in out and "There are no images to cache" not in out


def test_train_says_what_was_found_and_what_to_try_when_nothing_is_usable(tmp_path, capsys):
    root = _broken_manifest(tmp_path / "data")
    code, _, err = run(capsys, "train", root, "-o", tmp_path / "run", *FAST)
    assert code == 2 and "Traceback" not in err
    assert "None of the 4 images or rows found" in err and "--source manifest can be used" in err
    assert "gone.png: labels.csv line 2" in err and "(and 1 more)" in err
    assert "The folder holds 2 images (2 at the top level)" in err and "--source filename --pattern" in err
    assert f"`toonlab check {root}` lists every file and row" in err
    assert "There are no images to cache" not in err


def test_check_lists_every_image_when_no_sidecar_or_no_image_is_usable(tmp_path, capsys):
    from toonlab.testing import make_toy_cartoonset

    toons = make_toy_cartoonset(tmp_path / "toons", n=3, size=8)
    for csv in toons.rglob("*.csv"):
        csv.write_text('"color", red, 3\n')
    code, out, _ = run(capsys, "check", toons, *FAST)
    assert code == 1 and "(cartoonset): found 3, usable 0, skipped 3" in out
    assert out.count('line 1: expected `"name", index, count`') == 3
    broken = class_folders(tmp_path / "broken", "ab", 2)
    for png in broken.rglob("*.png"):
        png.write_bytes(b"not a picture")
    code, out, _ = run(capsys, "check", broken, *FAST)
    assert code == 1 and "(folders): found 4, usable 0, skipped 4" in out
    assert out.count("not an image PIL can read") == 4
