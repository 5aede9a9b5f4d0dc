"""``Run``: what train returns and load reads back; predictions from files and from memory agree."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import toonlab
from toonlab.errors import ToonlabError
from toonlab.ship import predict_images
from toonlab.testing import make_toy_cartoonset
from trained_once import trained_once

TINY = dict(epochs=1, image_size=16, batch_size=16, progress=False, model={"widths": [8], "head_width": 16},
            data={"workers": 1}, eval={"plots": False}, **{"train.precision": "fp32"})
KINDS = {"shared": {}, "separate": {"mode": "separate", "regression": "size"}, "folds": {"folds": 2}}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """40 toy discs on transparent backgrounds (tasks color: 3 classes, size: 2)."""
    return make_toy_cartoonset(tmp_path_factory.mktemp("api") / "toy", n=40, size=24)


@pytest.fixture(scope="module")
def runs(toy, tmp_path_factory):
    """``runs("shared")`` → (the Run train returned), trained once per module."""
    return trained_once(tmp_path_factory.mktemp("api-runs"),
                        lambda kind, out: toonlab.train(toy, out, **TINY, **KINDS[kind]))


def test_load_gives_what_train_returned(runs):
    run = runs("shared")
    same = toonlab.load(run.dir)
    assert same.metrics == run.metrics and same.tasks == run.tasks == ["color", "size"]
    assert same.config.train.epochs == 1 and same.config.data.image_size == 16
    assert repr(same).startswith(f"Run({str(run.dir)!r}, tasks=['color', 'size'], mean test accuracy 0.")
    assert [row["epoch"] for row in same.history] == [1] and "val_acc/color" in same.history[0]
    assert same.members == [] and (run.dir / "report.html").exists()


def test_predict_is_the_same_for_a_path_a_pil_image_an_array_and_a_tensor(runs, toy):
    run, path = runs("shared"), sorted(toy.rglob("*.png"))[3]
    pil = Image.open(path)  # RGBA: the alpha must go over the run's background as for the file
    pixels = np.asarray(pil)
    given = [path, str(path), pil, pixels, pixels / 255.0, torch.from_numpy(pixels / 255.0).permute(2, 0, 1).float()]
    preds = [run.predict(image) for image in given]
    for pred in preds[1:]:
        for task in ("color", "size"):
            assert pred[task]["label"] == preds[0][task]["label"]
            assert pred[task]["probability"] == pytest.approx(preds[0][task]["probability"], abs=1e-6)
    assert set(preds[0]["color"]["probabilities"]) == {"0", "1", "2"}


def test_predict_lists_batches_and_folders_match_the_ship_predictions(runs, toy):
    run, paths = runs("shared"), sorted(toy.rglob("*.png"))[:5]
    want = predict_images(run.dir, paths)
    by_list = run.predict(paths)
    batch = run.predict(np.stack([np.asarray(Image.open(p)) for p in paths]))
    assert [p["color"]["label"] for p in by_list] == [p["color"]["label"] for p in batch] == want.labels("color")
    folder = run.predict(toy / "0")
    assert isinstance(folder, list) and len(folder) == len(list((toy / "0").glob("*.png")))


def test_predict_refuses_unusable_images(runs, tmp_path):
    run = runs("shared")
    with pytest.raises(ToonlabError, match=r"Float images must hold values in \[0, 1\].*from -1 to 1"):
        run.predict(np.linspace(-1, 1, 16 * 16 * 3).reshape(16, 16, 3))
    with pytest.raises(ToonlabError, match=r"H×W, H×W×C or C×H×W.*shape \(16, 16, 2\)"):
        run.predict(np.zeros((16, 16, 2), np.uint8))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(ToonlabError, match="Cannot read the image .*broken.png.*not an image PIL can read"):
        run.predict([broken])


def test_model_is_the_trained_network_with_its_preprocessing(runs, toy):
    run, path = runs("shared"), sorted(toy.rglob("*.png"))[0]
    net = run.model(device="cpu")
    assert not net.model.training and net.prep.image_size == 16 and list(net.tasks) == ["color", "size"]
    with torch.no_grad():
        out = net.model(net.prep.to_tensor(net.prep.decode(path)[None], net.runtime))
    probs = out["color"].float().softmax(1)[0]
    assert probs.max().item() == pytest.approx(run.predict(path)["color"]["probability"], abs=1e-5)


def test_evaluate_explain_and_report(runs, toy):
    run = runs("shared")
    metrics = run.evaluate()
    assert metrics["tasks"].keys() == run.metrics["tasks"].keys() and run.metrics is metrics
    panels = run.explain(sorted(toy.rglob("*.png"))[0], tasks=["color"], methods="saliency")
    assert len(panels) == 1 and panels[0].suffix == ".png" and panels[0].exists()
    assert run.report() == run.dir / "report.html"


def test_robustness_and_repeats_are_reachable_from_python(runs, toy, tmp_path, monkeypatch):
    monkeypatch.setenv("TOONLAB_CACHE", str(tmp_path / "cache"))
    run = toonlab.train(toy, tmp_path / "run", **TINY)
    result = run.robustness(seed=1)
    assert result["split"] == "val" and result["transforms"] and (run.dir / "robustness.json").exists()
    repeats = run.repeat(2)
    assert repeats.dir == run.dir / "repeats" and sorted(repeats.metrics["members"]) == ["seed-0", "seed-1"]
    assert "std" in repeats.metrics["mean_accuracy"] and (repeats.dir / "report.html").exists()


def test_separate_mode_history_model_and_regression(runs, toy):
    run = runs("separate")
    assert {"val_loss/color", "val_loss/size"} <= set(run.history[0])
    assert list(run.model(task="size").tasks) == ["size"]
    with pytest.raises(ToonlabError, match=r"one network per task; say which with task=, one of color, size"):
        run.model()
    with pytest.raises(ToonlabError, match=r"task= must be one of this run's tasks: color, size\. "
                                           r"Received: task='hair'"):
        run.model(task="hair")
    pred = run.predict(sorted(toy.rglob("*.png"))[0])
    assert set(pred["size"]) == {"value"} and "label" in pred["color"]


def test_a_kfold_folder_loads_and_predicts_with_every_member(runs, toy):
    run = toonlab.load(runs("folds").dir)
    assert [m.dir.name for m in run.members] == ["fold-1", "fold-2"]
    assert "over 2 folds" in repr(run) and run.tasks == ["color", "size"]
    path = sorted(toy.rglob("*.png"))[0]
    want = predict_images(run.dir, [path])
    assert want.members == 2
    assert run.predict(path)["color"]["probability"] == pytest.approx(float(want.outputs["color"][0].max()), abs=1e-6)
    with pytest.raises(ToonlabError, match=r"k-fold/repeats folder of 2 runs.*run\.members\[0\]\.model\(\)"):
        run.model()
    with pytest.raises(ToonlabError, match=r"read run\.members\[i\]\.history"):
        run.history  # noqa: B018
    assert run.members[0].history[0]["epoch"] == 1


def test_load_refuses_a_folder_that_is_no_run(tmp_path):
    with pytest.raises(ToonlabError, match=r"is not a toonlab run \(no config\.yaml\)"):
        toonlab.load(tmp_path)


def test_resume_needs_an_existing_run(toy, tmp_path):
    with pytest.raises(ToonlabError, match="resume=True needs the run to continue: pass out="):
        toonlab.train(toy, resume=True, **TINY)
    with pytest.raises(ToonlabError, match="Cannot resume: .* holds no run. Train it without resume=True"):
        toonlab.train(toy, tmp_path / "new", resume=True, **TINY)
