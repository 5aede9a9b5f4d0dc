import csv

import numpy as np
import pytest
from PIL import Image

from toonlab.cli import main
from toonlab.data.masks import MASKS_FILE, write_mask, write_mask_names
from toonlab.errors import ToonlabError
from toonlab.explain import run as explain
from toonlab.explain.run import explain_run, score_run
from toonlab.testing import make_toy_cartoonset

NAMES = ["color", "size"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 1-epoch 16 px run on toy discs whose masks mark the disc for both tasks."""
    root = tmp_path_factory.mktemp("explain")
    data = make_toy_cartoonset(root / "toy", n=40, size=24)
    for png in sorted(data.rglob("toy*.png")):
        with Image.open(png) as im:
            disc = np.asarray(im)[..., 3] > 0
        write_mask(png, {name: disc for name in NAMES}, NAMES)
    write_mask_names(data, NAMES, 24)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TOONLAB_CACHE", str(root / "cache"))
        assert main(["train", str(data), "-o", str(root / "run"), "--epochs", "1", "--image-size", "16",
                     "--model.widths=[8]", "--no-progress", "-q", "--eval.plots=false"]) == 0
    return data, root / "run"


@pytest.fixture
def titles(monkeypatch):
    """Record each panel's title while still writing it."""
    seen = {}
    real = explain.panel

    def spy(path, image, maps, *, title):
        seen[path] = (title, sorted(maps), image.shape)
        return real(path, image, maps, title=title)

    monkeypatch.setattr(explain, "panel", spy)
    return seen


def test_explain_writes_one_panel_per_image_and_task_with_the_true_label(trained, tmp_path, titles):
    data, run = trained
    inside = sorted(data.rglob("toy0000[0-1].png"))
    outside = tmp_path / "mine" / "disc.png"
    outside.parent.mkdir()
    Image.open(inside[0]).save(outside)
    written = explain_run(run, [*inside, outside], out=tmp_path / "out", steps=4, samples=2)
    expected = {tmp_path / "out" / stem / f"{task}.png" for stem in ("toy00000", "toy00001", "disc")
                for task in ("color", "size")}
    assert set(written) == expected and all(p.exists() for p in written)
    title, methods, shape = titles[tmp_path / "out" / "toy00000" / "color.png"]
    color = (data / "0" / "toy00000.csv").read_text().splitlines()[0].split(", ")[1]
    assert title.startswith("color: predicted ") and title.endswith(f"true {color}")
    assert methods == ["gradcam", "ig", "saliency", "smoothgrad"] and shape == (16, 16, 3)
    assert titles[tmp_path / "out" / "disc" / "size.png"][0].endswith("true ?")


def test_explain_defaults_to_test_images_into_the_run_folder(trained):
    _, run = trained
    written = explain_run(run, tasks="size", methods=("saliency",))
    assert len(written) == min(8, _test_count(run)) and {p.name for p in written} == {"size.png"}
    assert all(p.parent.parent == run / "explain" for p in written)


@pytest.mark.parametrize("kwargs, match", [
    (dict(tasks="hair"), "--task must be 'all' or tasks the run predicts: color, size. Received: hair"),
    (dict(methods=("lime",)), "--method must be one or more of saliency, ig, gradcam, smoothgrad"),
    (dict(layer="stages.7"), "no layer 'stages.7' for Grad-CAM"),
])
def test_bad_requests_are_refused_before_any_work(trained, tmp_path, kwargs, match):
    data, run = trained
    with pytest.raises(ToonlabError, match=match):
        explain_run(run, [next(data.rglob("toy00000.png"))], out=tmp_path, **kwargs)
    assert not list(tmp_path.rglob("*.png"))


def test_score_run_writes_mass_chance_and_hits_per_task_and_method(trained):
    _, run = trained
    table = score_run(run, n=5, methods=("saliency", "gradcam"), seed=0)
    assert [(r["task"], r["method"]) for r in table] == [("color", "saliency"), ("color", "gradcam"),
                                                        ("size", "saliency"), ("size", "gradcam")]
    assert all(r["n"] == min(5, _test_count(run)) and 0 <= r["mass"] <= 1 and 0 <= r["hit_rate"] <= 1 for r in table)
    assert 0.05 < table[0]["chance"] < 0.6  # the discs' area fraction
    rows = list(csv.DictReader((run / "explain" / "scores.csv").open()))
    assert [r["task"] for r in rows] == ["color", "color", "size", "size"]


def test_score_run_without_masks_says_how_to_draw_them(trained):
    data, run = trained
    (data / MASKS_FILE).rename(data / "hidden.json")
    try:
        with pytest.raises(ToonlabError, match="synth .*--masks"):
            score_run(run, n=2, methods=("saliency",))
    finally:
        (data / "hidden.json").rename(data / MASKS_FILE)


def _test_count(run):
    with open(run / "splits.csv", newline="") as f:
        return sum(row["split"] == "test" for row in csv.DictReader(f))
