"""``import toonlab``: fast, one function per verb, and the README's and docs/api.md's example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import toonlab
from toonlab.errors import ToonlabError
from toonlab.testing import make_toy_cartoonset

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(epochs=1, image_size=16, batch_size=16, progress=False, model={"widths": [8], "head_width": 16},
            data={"workers": 1}, eval={"plots": False, "report": False}, **{"train.precision": "fp32"})


def test_import_toonlab_loads_no_torch_and_lists_the_verbs():
    code = ("import sys, toonlab; print('torch' in sys.modules, 'toonlab.api' in sys.modules, "
            "sorted(n for n in toonlab.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 2)
    assert out[:2] == ["False", "False"]
    for verb in ("synth", "check", "train", "load", "sweep", "tune", "compare", "demo", "Run"):
        assert verb in out[2] and verb in dir(toonlab)


def test_verbs_named_like_modules_stay_callable_and_the_modules_stay_importable():
    import toonlab.compare
    import toonlab.train.loop  # noqa: F401 - binds the package toonlab.train over the verb's name
    import toonlab.workflows.train as train_run
    from toonlab.sweep import load_sweep

    assert all(callable(getattr(toonlab, v)) for v in ("train", "sweep", "compare", "demo", "tune", "load"))
    assert toonlab.workflows.train is train_run and callable(train_run.train) and callable(load_sweep)
    assert callable(toonlab.compare.compare)  # the module's own function is still there
    assert "callable as the verb toonlab.train" in repr(toonlab.train)
    import inspect

    assert "overrides" in inspect.signature(toonlab.train).parameters


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'trian'"):
        toonlab.trian  # noqa: B018


@pytest.mark.parametrize("doc", ["README.md", "docs/api.md"])
def test_the_python_example_runs_as_written(doc, tmp_path, monkeypatch, capsys):
    path = ROOT / doc
    block = re.search(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, str(path), "exec"), {})  # noqa: S102 - our own documentation
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("Run('runs/toons-") and "['hair', 'face_color']" in printed[0]
    assert "mean test accuracy" in printed[0] and 0 <= float(printed[1]) <= 1
    label, probability = printed[2].rsplit(" ", 1)
    assert label and 0 < float(probability) <= 1
    assert len(list((tmp_path / "runs").glob("toons-*/report.html"))) == 1


def test_running_the_same_cell_twice_makes_two_runs(tmp_path, monkeypatch):
    data = make_toy_cartoonset(tmp_path / "toy", n=30, size=16)
    monkeypatch.chdir(tmp_path)
    first = toonlab.train(data, **TINY)
    second = toonlab.train(data, **TINY)
    assert first.dir != second.dir and first.dir.parent == second.dir.parent == Path("runs")
    assert first.dir.name.startswith("toy-") and "toonlab.train(" in second.metrics["command"]
    with pytest.raises(ToonlabError, match=r"already holds a run\. Continue it with resume=True"):
        toonlab.train(data, out=first.dir, **TINY)
