"""synthesize: CartoonSet's folder format, determinism across workers, reuse and refusal."""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from toonlab.data.synth import ATTRIBUTES, SynthSummary, hidden_attributes, synthesize
from toonlab.errors import DataError, ToonlabError

LINE = re.compile(r'^"([a-z_]+)", (\d+), (\d+)$')


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("synth") / "toons"
    return out, synthesize(out, n=20, size=64, seed=3, workers=1)


def read_csv(path: Path) -> dict[str, tuple[int, int]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    return {m.group(1): (int(m.group(2)), int(m.group(3))) for m in parsed}


def all_bytes(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_folder_has_cartoonsets_layout(made):
    out, summary = made
    assert summary.n == 20 and summary.size == 64 and summary.seed == 3 and not summary.reused
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == [str(d) for d in range(10)]
    pngs = sorted(out.glob("*/cs*.png"))
    assert len(pngs) == 20
    assert all(len(list((out / str(d)).glob("*.png"))) == 2 for d in range(10))  # spread evenly
    ids = {p.stem for p in pngs}
    assert len(ids) == 20
    for png in pngs:
        image = Image.open(png)
        assert image.mode == "RGBA" and image.size == (64, 64)
        a = np.asarray(image)
        assert (a[[0, 0, -1, -1], [0, -1, 0, -1], 3] == 0).all()
        attrs = read_csv(png.with_suffix(".csv"))
        assert list(attrs) == list(ATTRIBUTES)
        assert all(count == ATTRIBUTES[name] and 0 <= index < count for name, (index, count) in attrs.items())


def test_hidden_csv_and_manifest_agree_with_the_images(made):
    out, _ = made
    with (out / "hidden.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["file", "attribute"]
    listed: dict[str, set[str]] = {}
    for file, name in rows[1:]:
        assert (out / file).is_file() and name in ATTRIBUTES
        listed.setdefault(file, set()).add(name)
    for png in out.glob("*/cs*.png"):
        attrs = {k: v for k, (v, _) in read_csv(png.with_suffix(".csv")).items()}
        assert listed.get(png.relative_to(out).as_posix(), set()) == hidden_attributes(attrs)
    manifest = json.loads((out / "synth.json").read_text())
    assert manifest["n"] == 20 and manifest["size"] == 64 and manifest["seed"] == 3
    assert manifest["files"] == 40 and manifest["complete"] is True and manifest["version"]


def test_same_seed_is_byte_identical_whatever_the_workers(made, tmp_path):
    out, _ = made
    again = synthesize(tmp_path / "again", n=20, size=64, seed=3, workers=2)
    assert all_bytes(again.out) == all_bytes(out)
    other = synthesize(tmp_path / "other", n=20, size=64, seed=4, workers=2)
    assert {p.stem for p in other.out.glob("*/cs*.png")} != {p.stem for p in out.glob("*/cs*.png")}


def test_a_finished_set_is_reused(made):
    out, _ = made
    before = all_bytes(out)
    start = time.perf_counter()
    summary = synthesize(out, n=20, size=64, seed=3)
    assert summary.reused and time.perf_counter() - start < 2
    assert all_bytes(out) == before


def test_a_folder_with_other_content_is_refused_unless_overwrite(made, tmp_path):
    out, _ = made
    with pytest.raises(DataError, match="overwrite"):
        synthesize(out, n=20, size=64, seed=5)
    stranger = tmp_path / "mine"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("keep me")
    with pytest.raises(DataError, match="not a toonlab synthetic set"):
        synthesize(stranger, n=4, size=32)
    summary = synthesize(stranger, n=4, size=32, overwrite=True, workers=1)
    assert not summary.reused and (stranger / "notes.txt").read_text() == "keep me"
    assert len(list(stranger.glob("*/cs*.png"))) == 4


def test_overwrite_replaces_an_earlier_set_completely(tmp_path):
    synthesize(tmp_path / "t", n=12, size=32, seed=1, workers=1)
    synthesize(tmp_path / "t", n=5, size=32, seed=2, workers=1, overwrite=True)
    assert len(list((tmp_path / "t").glob("*/cs*.png"))) == 5
    assert len(list((tmp_path / "t").glob("*/cs*.csv"))) == 5


def test_an_unfinished_set_is_redrawn(tmp_path):
    out = synthesize(tmp_path / "t", n=6, size=32, workers=1).out
    next(out.glob("*/cs*.png")).unlink()
    summary = synthesize(out, n=6, size=32, workers=1)
    assert not summary.reused and len(list(out.glob("*/cs*.png"))) == 6


def test_progress_counts_up_to_the_total(tmp_path):
    calls = []
    synthesize(tmp_path / "t", n=9, size=32, workers=2, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 9) and calls[-1] == (9, 9)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


@pytest.mark.parametrize("option", [{"n": 0}, {"size": 4}, {"seed": -1}, {"workers": -2}, {"n": 2.5}])
def test_bad_options_are_explained(tmp_path, option):
    with pytest.raises(ToonlabError, match=next(iter(option))):
        synthesize(tmp_path / "t", **option)


def test_equal_attributes_get_distinct_deterministic_ids(monkeypatch):
    from toonlab.data.synth import writer

    same = {name: 0 for name in ATTRIBUTES}
    monkeypatch.setattr(writer, "image_attributes", lambda seed, index: dict(same))
    first, second = writer.plan(3, seed=0), writer.plan(3, seed=0)
    assert len({item.rel for item in first}) == 3
    assert [item.rel for item in first] == [item.rel for item in second]


def test_an_image_does_not_depend_on_how_many_are_made():
    from toonlab.data.synth.writer import plan

    assert plan(30, seed=9)[:20] == plan(20, seed=9)
