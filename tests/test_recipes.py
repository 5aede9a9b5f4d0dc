"""Every shipped recipe parses (unknown keys are errors), reads data in its layout and builds its model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from toonlab.cli import main
from toonlab.config import resolve_config
from toonlab.data.check import check_data
from toonlab.data.samples import TaskSpec
from toonlab.models import create_model
from toonlab.testing import make_toy_cartoonset

CONFIGS = Path(__file__).parents[1] / "configs"
RECIPES = sorted(CONFIGS.glob("*.yaml"))  # experiment recipes; sweeps (configs/sweeps) are tested in tests/sweep
RNG = np.random.default_rng(0)


def _image(path: Path, size: int = 20) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(RNG.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)


def _folders(root: Path, classes: tuple[str, ...], per_class: int = 6) -> Path:
    for c in classes:
        for i in range(per_class):
            _image(root / c / f"{c}{i}.jpg")
    return root


def _drawings(root: Path) -> Path:
    """File names as in seed 004: age group, drawing id + author, years.months, subject."""
    for i in range(24):
        group, author, subject = ("p3", "nu")[i % 2], "ws"[i // 2 % 2], "fm"[i // 4 % 2]
        _image(root / f"{group}-{10 + i}{author}-{4 + i % 3}.{i % 12}{subject}.jpeg")
    return root


LAYOUTS = {
    "cartoonset18.yaml": (lambda root: make_toy_cartoonset(root, n=30), None),
    "artist_cnn.yaml": (lambda root: _folders(root, ("monet", "vangogh", "klimt")), {"artist"}),
    "comics_vs_real.yaml": (lambda root: _folders(root, ("comics", "faces")), {"class"}),
    "ignet.yaml": (_drawings, {"age", "age_group+author+subject"}),
}


def test_every_recipe_has_a_layout_test():
    assert {p.name for p in RECIPES} == set(LAYOUTS)


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_recipe_reads_its_layout_and_builds_its_model(path, tmp_path):
    make, expected_tasks = LAYOUTS[path.name]
    cfg = resolve_config(yaml_path=path, overrides=[f"data.path={make(tmp_path / 'data')}", "data.workers=1"])
    report = check_data(cfg.data)
    assert report.skipped == [] and report.used == report.found
    if expected_tasks is not None:
        assert set(report.tasks) == expected_tasks
    tasks = {n: TaskSpec(n, t["kind"], tuple(t.get("classes", ()))) for n, t in report.tasks.items()}
    model = create_model(cfg.model, tasks, image_size=cfg.data.image_size)
    out = model(torch.zeros(2, 3, cfg.data.image_size, cfg.data.image_size))
    for name, spec in tasks.items():
        assert out[name].shape == ((2,) if spec.is_regression else (2, spec.num_classes))


def test_ignet_recipe_reads_ages_in_months_and_joint_classes(tmp_path):
    cfg = resolve_config(yaml_path=CONFIGS / "ignet.yaml", overrides=[f"data.path={_drawings(tmp_path)}"])
    report = check_data(cfg.data)
    assert report.tasks["age"]["kind"] == "regression"
    assert report.tasks["age"]["min"] == 4 * 12 and report.tasks["age"]["max"] == 6 * 12 + 11
    assert set(report.tasks["age_group+author+subject"]["classes"]) <= {
        f"{g}|{a}|{s}" for g in ("nu", "p3") for a in "sw" for s in "fm"}


def test_comics_recipe_caches_grey_images(tmp_path):
    cfg = resolve_config(yaml_path=CONFIGS / "comics_vs_real.yaml",
                         overrides=[f"data.path={_folders(tmp_path, ('comics', 'faces'), 3)}", "data.image_size=16"])
    from toonlab.data.dataset import prepare_data

    images = prepare_data(cfg.data, seed=0).images
    assert (images[..., 0] == images[..., 1]).all() and (images[..., 1] == images[..., 2]).all()


def test_ignet_recipe_trains_five_honest_folds(tmp_path, capsys):
    data = _drawings(tmp_path / "drawings")
    run = tmp_path / "run"
    code = main(["train", str(data), "-o", str(run), "--config", str(CONFIGS / "ignet.yaml"), "--epochs", "1",
                 "--no-progress", "-q", "--eval.plots=false"])
    assert code == 0
    summary = json.loads((run / "metrics.json").read_text())
    assert summary["kind"] == "folds" and len(summary["members"]) == 5
    assert {"mae", "mape"} <= set(summary["tasks"]["age"])
    tests = [set((run / f"fold-{k}" / "splits.csv").read_text().splitlines()[1:]) for k in range(1, 6)]
    in_test = [line.split(",")[0] for rows in tests for line in rows if line.endswith(",test")]
    assert sorted(in_test) == sorted(p.name for p in data.iterdir())  # every drawing tested exactly once
    assert "5 folds" in capsys.readouterr().out
