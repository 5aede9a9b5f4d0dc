"""SIGKILL while the image cache is built: nothing half-built is ever reused, the next run rebuilds it to the
same bytes as an uninterrupted build, and the killed build's temporary files are cleaned up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from toonlab.cli import main
from toonlab.testing import make_toy_cartoonset

WORKER = Path(__file__).resolve().parents[1] / "crash_worker.py"
CHECK = ["--image-size", "8", "--data.workers=1", "-q"]


def run_killed(point: str, n: int, *argv: str, env: dict[str, str]) -> None:
    """``toonlab ARGV`` in a child that SIGKILLs itself at the n-th ``point`` (see crash_worker.py)."""
    done = subprocess.run([sys.executable, str(WORKER), point, str(n), *argv], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr


def check_with_cache(capsys, monkeypatch, data: Path, cache: Path) -> None:
    monkeypatch.setenv("TOONLAB_CACHE", str(cache))
    assert main(["check", str(data), *CHECK]) == 0, capsys.readouterr().err
    capsys.readouterr()


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
@pytest.mark.parametrize("point, n", [("decode", 7), ("cache-commit", 1)])
def test_a_cache_build_killed_midway_is_rebuilt_like_an_uninterrupted_one(tmp_path, capsys, monkeypatch, point, n):
    data = make_toy_cartoonset(tmp_path / "toy", n=16, size=16)
    cache, fresh = tmp_path / "cache", tmp_path / "fresh"
    run_killed(point, n, "check", str(data), *CHECK, env={"TOONLAB_CACHE": str(cache)})
    assert not list(cache.glob("*.json"))  # no completion mark for a half-built cache
    assert list(cache.glob("*.tmp-*")) if point == "decode" else list(cache.glob("*.u8"))

    check_with_cache(capsys, monkeypatch, data, cache)
    check_with_cache(capsys, monkeypatch, data, fresh)
    [u8] = fresh.glob("*.u8")
    assert sorted(p.name for p in cache.iterdir()) == sorted(p.name for p in fresh.iterdir())  # no orphans left
    assert (cache / u8.name).read_bytes() == u8.read_bytes()
    meta = u8.with_suffix(".json").name
    assert json.loads((cache / meta).read_text()) == json.loads((fresh / meta).read_text())
