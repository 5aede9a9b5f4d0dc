"""Every shipped recipe parses (unknown keys are errors) and builds its model."""

from pathlib import Path

import pytest
import torch

from toonlab.config import resolve_config
from toonlab.data.samples import TaskSpec
from toonlab.models import create_model

RECIPES = sorted((Path(__file__).parents[1] / "configs").rglob("*.yaml"))
TASKS = {"artist": TaskSpec("artist", classes=tuple("abcdefghijk"))}


def test_recipes_exist():
    names = {p.name for p in RECIPES}
    assert {"artist_cnn.yaml", "ignet.yaml"} <= names


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_recipe_parses_and_builds(path):
    cfg = resolve_config(yaml_path=path)
    model = create_model(cfg.model, TASKS, image_size=cfg.data.image_size)
    out = model(torch.zeros(2, 3, cfg.data.image_size, cfg.data.image_size))
    assert out["artist"].shape == (2, 11)
