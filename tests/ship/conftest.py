"""Tiny trained runs shared by the predict and export tests (each trains in a few seconds on CPU)."""

from __future__ import annotations

from pathlib import Path

import pytest

from toonlab.cli import main
from toonlab.testing import TINY_TRAIN, make_toy_cartoonset
from trained_once import trained_once

RUNS = {
    "shared": [],
    "separate": ["--mode", "separate", "--regression", "size"],  # one network per task, one of them regression
    "grey": ["--data.grayscale=true", "--data.background=royalblue"],  # transparency shows the background
}


@pytest.fixture(scope="session")
def toy(tmp_path_factory) -> Path:
    """60 toy disc images on transparent backgrounds (tasks color: 3 classes, size: 2)."""
    return make_toy_cartoonset(tmp_path_factory.mktemp("ship") / "toy", n=60, size=24)


@pytest.fixture(scope="session")
def runs(toy, tmp_path_factory):
    """Train the runs of RUNS on demand, once per session: ``runs("shared")`` → the run folder."""

    def train(kind: str, out: Path) -> Path:
        options = ["--folds", "2"] if kind == "folds" else RUNS[kind]
        assert main(["train", str(toy), "-o", str(out), *options, *TINY_TRAIN]) == 0
        return out

    return trained_once(tmp_path_factory.mktemp("ship-runs"), train)
