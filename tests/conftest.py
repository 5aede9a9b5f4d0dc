"""Shared fixtures: every test gets its own image cache folder, and tiny toy data on request."""

from __future__ import annotations

import pytest

from toonlab.testing import make_toy_cartoonset


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Keep tests from writing into ~/.cache/toonlab."""
    monkeypatch.setenv("TOONLAB_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def toy_data(tmp_path):
    """A 60-image CartoonSet-format folder with tasks 'color' (3 classes) and 'size' (2)."""
    return make_toy_cartoonset(tmp_path / "toy", n=60, size=24)
