"""The verbs call the same library functions as their commands, with Python's spelling of the options."""

from __future__ import annotations

from pathlib import Path

import pytest

import toonlab
from toonlab.api.verbs import call_text
from toonlab.config import ConfigError
from toonlab.errors import ToonlabError
from toonlab.testing import make_toy_cartoonset


def test_check_returns_the_report(tmp_path):
    toy = make_toy_cartoonset(tmp_path / "toy", n=20, size=16)
    report = toonlab.check(toy, image_size=16, tasks=["color"], progress=False, data={"workers": 1})
    assert report.used == 20 and list(report.tasks) == ["color"] and report.skipped == []
    with pytest.raises(ToonlabError, match=r"No data folder: pass it first, toonlab\.check\('faces/', \.\.\.\)"):
        toonlab.check()


def test_synth_reuses_the_same_set(tmp_path):
    first = toonlab.synth(tmp_path / "s", n=20, size=32, workers=1, progress=False)
    again = toonlab.synth(tmp_path / "s", n=20, size=32, workers=1, progress=False)
    assert (first.n, first.reused, again.reused) == (20, False, True)


def test_compare_passes_the_resolved_config_and_models(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr("toonlab.compare.compare", lambda cfg, names, out, **kw: seen.update(cfg=cfg, names=names,
                                                                                             out=out, **kw) or [])
    assert toonlab.compare(tmp_path, tmp_path / "cmp", models="mlp, cnn", epochs=2, backbone="resnet18") == []
    assert seen["names"] == ["mlp", "cnn"] and seen["cfg"].train.epochs == 2 and seen["backbone"] == "resnet18"
    assert seen["cfg"].data.path == str(tmp_path) and seen["out"] == tmp_path / "cmp"


def test_tune_passes_typed_options_and_a_default_folder(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr("toonlab.sweep.tune.tune", lambda data, out, **kw: seen.update(data=data, out=out, **kw))
    toonlab.tune(tmp_path / "faces", budget="10m", tasks=["hair"], config={"model": {"widths": [8]}}, trials=2)
    assert seen["out"] == Path("runs/tune-faces") and seen["budget"] == "10m" and seen["trials"] == 2
    assert seen["options"] == {"model.widths": [8], "data.tasks": "hair"} and seen["config"] is None
    with pytest.raises(ConfigError, match="Did you mean epochs="):
        toonlab.tune(tmp_path, budget="10m", epoch=3)


def test_sweep_takes_a_file_or_a_dict(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr("toonlab.sweep.run.run_sweep", lambda spec, out, **kw: seen.update(spec=spec, out=out, **kw))
    toonlab.sweep({"space": {"train.lr": {"grid": [1e-3, 1e-2]}}}, tmp_path, workers=1)
    assert seen["out"] == Path("sweeps/sweep") and seen["data"] == str(tmp_path) and seen["spec"].space


def test_demo_returns_the_run(monkeypatch, tmp_path):
    from toonlab.demo import DemoResult

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("train: {epochs: 1}\n")
    seen = {}

    def fake(cfg, **kw):
        seen.update(cfg=cfg, **kw)
        return DemoResult(run, tmp_path, {"tasks": {}, "mean_accuracy": 0.5}, 1.0, 0.5)

    monkeypatch.setattr("toonlab.demo.demo", fake)
    result = toonlab.demo(tmp_path, n=50, epochs=2, progress=False)
    assert result.dir == run and result.metrics["mean_accuracy"] == 0.5 and seen["n"] == 50
    assert seen["cfg"].train.epochs == 2 and seen["command"].startswith("toonlab.demo(")


def test_train_overwrite_and_resume_are_exclusive(tmp_path):
    with pytest.raises(ToonlabError, match="pass one of them"):
        toonlab.train(tmp_path, tmp_path / "run", resume=True, overwrite=True, epochs=1)


def test_call_text_records_the_python_call():
    assert call_text("train", "toons", None, {"epochs": 1, "train.lr": 0.1}) == (
        "toonlab.train('toons', epochs=1, **{'train.lr': 0.1})")


@pytest.mark.parametrize("options, key", [({"lr": -1}, "train.lr"), ({"batch_size": 0}, "train.batch_size"),
                                          ({"weights": "zap"}, "model.weights"), ({"epochs": -2}, "train.epochs"),
                                          ({"model": {"dropout": 1.0}}, "model.dropout"),
                                          ({"data": {"val_fraction": 1.0}}, "data.val_fraction")])
def test_bad_values_are_refused_before_anything_is_written(tmp_path, options, key):
    toy = make_toy_cartoonset(tmp_path / "toy", n=12, size=16)
    with pytest.raises(ConfigError, match=rf"{key}.*Received: {key}="):
        toonlab.train(toy, tmp_path / "run", **options)
    assert not (tmp_path / "run").exists()
