"""Label sources: the cartoonset sidecar reader and load_labels' checks, on tiny folders made in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from toonlab.data.sources import SOURCES, load_labels, parse_tasks
from toonlab.errors import DataError

ATTRS = {"face_shape": (4, 7), "hair": (10, 111), "glasses": (11, 12)}


def write_toon(root: Path, rel: str, attrs: dict | None = None, sidecar: str | None = None) -> Path:
    """A 16 px RGBA png at ``root/rel`` with a CartoonSet sidecar (``attrs`` or raw ``sidecar`` text)."""
    png = root / rel
    png.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGBA", (16, 16), (200, 100, 50, 255)).save(png)
    if sidecar is None and attrs is not None:
        sidecar = "".join(f'"{name}", {i}, {n}\n' for name, (i, n) in attrs.items())
    if sidecar is not None:
        png.with_suffix(".csv").write_text(sidecar)
    return png


def reasons(labels) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in labels.skipped}


def test_nested_layout_sorted_with_task_specs(tmp_path):
    for rel in ["1/csb.png", "0/csz.png", "0/csa.png"]:
        write_toon(tmp_path, rel, ATTRS)
    labels = load_labels(tmp_path)
    assert [s.path.relative_to(tmp_path).as_posix() for s in labels.samples] == ["0/csa.png", "0/csz.png", "1/csb.png"]
    assert list(labels.tasks) == ["face_shape", "hair", "glasses"]
    assert labels.tasks["face_shape"].classes == tuple(str(i) for i in range(7))
    assert labels.samples[0].labels == {"face_shape": 4, "hair": 10, "glasses": 11}
    assert labels.found == 3 and not labels.skipped


def test_flat_layout_tolerates_spaces_and_missing_quotes(tmp_path):
    write_toon(tmp_path, "cs1.png", sidecar='face_shape,2,7\n  "hair" ,  5 , 111 \n\n')
    labels = load_labels(tmp_path)
    assert labels.samples[0].labels == {"face_shape": 2, "hair": 5}


def test_hidden_csv_sets_hidden_attributes(tmp_path):
    write_toon(tmp_path, "3/a.png", ATTRS)
    write_toon(tmp_path, "3/b.png", ATTRS)
    (tmp_path / "hidden.csv").write_text("file,attribute\n3/a.png,glasses\n3/a.png,hair\n")
    a, b = load_labels(tmp_path).samples
    assert a.hidden == frozenset({"glasses", "hair"}) and b.hidden == frozenset()


def test_every_unusable_image_is_skipped_with_its_reason(tmp_path):
    for name in "abcd":
        write_toon(tmp_path, f"{name}.png", ATTRS)
    write_toon(tmp_path, "nosidecar.png")
    write_toon(tmp_path, "malformed.png", sidecar='"face_shape", 4, 7\n"hair", x\n"glasses", 1, 12\n')
    write_toon(tmp_path, "toobig.png", {**ATTRS, "face_shape": (7, 7)})
    write_toon(tmp_path, "negative.png", {**ATTRS, "hair": (-1, 111)})
    write_toon(tmp_path, "count.png", {**ATTRS, "glasses": (1, 5)})
    labels = load_labels(tmp_path)
    why = reasons(labels)
    assert "expected cs" not in why["nosidecar.png"] and "nosidecar.csv" in why["nosidecar.png"]
    assert "line 2" in why["malformed.png"] and "index, count" in why["malformed.png"]
    assert "outside 0..6" in why["toobig.png"]
    assert "index -1" in why["negative.png"]
    assert "count 5" in why["count.png"] and "12" in why["count.png"]
    assert len(labels.samples) == 4 and labels.found == 9
    assert labels.found == len(labels.samples) + len(labels.skipped)
    assert labels.tasks["glasses"].num_classes == 12  # the majority count wins


def test_task_subset_ignores_problems_in_other_tasks(tmp_path):
    write_toon(tmp_path, "a.png", ATTRS)
    write_toon(tmp_path, "b.png", {"face_shape": (1, 7), "hair": (999, 111)})  # no glasses, bad hair
    write_toon(tmp_path, "c.png", {"hair": (1, 111), "face_shape": (2, 7), "glasses": (0, 12)})
    write_toon(tmp_path, "d.png", {"hair": (1, 111), "glasses": (0, 12)})  # no face_shape
    labels = load_labels(tmp_path, tasks="face_shape, glasses")
    assert list(labels.tasks) == ["face_shape", "glasses"]
    assert [s.path.name for s in labels.samples] == ["a.png", "c.png"]
    assert "glasses" in reasons(labels)["b.png"] and "face_shape" in reasons(labels)["d.png"]
    only_face = load_labels(tmp_path, tasks=["face_shape"])
    assert [s.path.name for s in only_face.samples] == ["a.png", "b.png", "c.png"]
    assert only_face.samples[1].labels == {"face_shape": 1}


def test_unknown_task_names_valid_tasks_and_closest(tmp_path):
    write_toon(tmp_path, "a.png", ATTRS)
    with pytest.raises(DataError, match=r"Unknown task 'hiar'.*Did you mean 'hair'.*face_shape, hair, glasses"):
        load_labels(tmp_path, tasks="face_shape,hiar")


def test_limit_keeps_first_images_by_path(tmp_path):
    for rel in ["2/c.png", "0/a.png", "1/b.png", "3/d.png"]:
        write_toon(tmp_path, rel, ATTRS)
    write_toon(tmp_path, "0/b_broken.png")  # sorts between the first two samples
    labels = load_labels(tmp_path, limit=2)
    assert [s.path.name for s in labels.samples] == ["a.png", "b.png"]
    assert [Path(s.path).name for s in labels.skipped] == ["b_broken.png"]
    assert labels.found == 3
    assert len(load_labels(tmp_path, limit=0).samples) == 4


def test_missing_folder_file_and_empty_folder_errors(tmp_path):
    with pytest.raises(DataError, match=r"does not exist.*toonlab synth"):
        load_labels(tmp_path / "nope")
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(DataError, match="not a folder"):
        load_labels(tmp_path / "f.txt")
    with pytest.raises(DataError, match="No images found.*toonlab synth"):
        load_labels(tmp_path)


def test_unknown_source_and_bad_tasks(tmp_path):
    write_toon(tmp_path, "a.png", ATTRS)
    with pytest.raises(DataError, match="Unknown label source 'cartonset'.*cartoonset"):
        load_labels(tmp_path, source="cartonset")
    with pytest.raises(DataError, match="tasks must be"):
        parse_tasks(" , ")
    assert parse_tasks("all") is None and parse_tasks("a, b,a") == ["a", "b"]
    assert "cartoonset" in SOURCES


def test_cartoonset_task_as_regression_on_its_index(tmp_path):
    from toonlab.data.sources import SourceOptions

    write_toon(tmp_path, "a.png", {"size": (2, 5), "hue": (1, 3)})
    write_toon(tmp_path, "b.png", {"size": (4, 5), "hue": (0, 3)})
    labels = load_labels(tmp_path, options=SourceOptions(regression=["size"]))
    assert labels.tasks["size"].kind == "regression" and labels.tasks["hue"].num_classes == 3
    assert [s.labels["size"] for s in labels.samples] == [2.0, 4.0]
    with pytest.raises(DataError, match="'siz'.*Did you mean 'size'"):
        load_labels(tmp_path, options=SourceOptions(regression=["siz"]))
