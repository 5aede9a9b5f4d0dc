"""The layers of docs/architecture.md hold: `lint-imports` keeps the contracts in pyproject.toml.

The contracts count imports placed inside functions too; the second test proves it by planting one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import toonlab

pytest.importorskip("importlinter", reason="the layer contracts need import-linter (pip install 'toonlab[test]')")

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(toonlab.__file__).resolve().parents[1]  # the toonlab this test run imports


def lint_imports(src: Path) -> subprocess.CompletedProcess:
    """`lint-imports` with the project's contracts on the toonlab package under ``src``."""
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([sys.executable, "-c", code, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=src, env=env, capture_output=True, text=True, timeout=300)


def test_every_module_keeps_to_its_layer_and_no_package_has_a_cycle():
    result = lint_imports(SRC)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_an_upward_import_inside_a_function_breaks_the_layers(tmp_path):
    shutil.copytree(SRC / "toonlab", tmp_path / "toonlab", ignore=shutil.ignore_patterns("__pycache__"))
    with (tmp_path / "toonlab" / "data" / "samples.py").open("a", encoding="utf-8") as f:
        f.write("\n\ndef _planted():\n    from toonlab.cli import main  # data must not reach up to the CLI\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "toonlab.data is not allowed to import toonlab.cli" in result.stdout
    assert "toonlab.data.samples -> toonlab.cli" in result.stdout
