import json
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from toonlab.cli import main
from toonlab.config import ModelConfig
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.models import create_model
from toonlab.runtime import resolve_runtime
from toonlab.ship import (
    Preprocessing,
    RunNetwork,
    export_onnx,
    load_networks,
    predict_images,
)
from toonlab.ship.onnx_export import export_networks

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TASKS = {"hair": TaskSpec("hair", classes=("a", "b", "c")), "age": TaskSpec("age", kind="regression", center=30,
                                                                          scale=12)}
PREP = Preprocessing(16, "white", False, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))


def _run_onnx(path, x: np.ndarray) -> dict[str, np.ndarray]:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, {"image": x})))


def _preprocess_without_toonlab(path, meta: dict[str, str]) -> np.ndarray:
    """What a user does with only PIL, numpy and the file's metadata."""
    size, bg = int(meta["image_size"]), tuple(json.loads(meta["background_rgb"]))
    mean, std = (np.array(json.loads(meta[k]), np.float32).reshape(3, 1, 1) for k in ("mean", "std"))
    with Image.open(path) as im:
        rgba = im.convert("RGBA")
    flat = Image.new("RGB", rgba.size, bg)
    flat.paste(rgba, mask=rgba)
    if json.loads(meta["grayscale"]):
        flat = flat.convert("L").convert("RGB")
    pixels = np.asarray(flat.resize((size, size), Image.Resampling.LANCZOS), np.float32).transpose(2, 0, 1)
    return (pixels - 255 * mean) / (255 * std)


@pytest.mark.parametrize("kind", ["shared", "separate", "grey"])
def test_onnx_matches_pytorch_and_predict(runs, toy, tmp_path, kind):
    run = runs(kind)
    result = export_onnx(run, tmp_path / "m.onnx")
    proto = onnx.load(str(result.path))
    meta = {p.key: p.value for p in proto.metadata_props}
    nets = load_networks(run, device="cpu")
    tasks = {n: s for net in nets for n, s in net.tasks.items()}
    assert [o.name for o in proto.graph.output] == result.outputs == list(tasks)
    assert json.loads(meta["tasks"]) == {n: {"kind": s.kind, "classes": list(s.classes)} for n, s in tasks.items()}
    assert result.max_abs_diff < 1e-4
    images = sorted(toy.rglob("*.png"))[:5]  # a batch of 5: the graph was traced with 2
    got = _run_onnx(result.path, np.stack([_preprocess_without_toonlab(p, meta) for p in images]))
    want = predict_images(run, images).outputs
    for name in tasks:
        np.testing.assert_allclose(got[name], want[name], atol=1e-4)


CONFIGS = {
    "cnn": {},
    "mlp": {"name": "mlp", "mlp_hidden": [12]},
    "cnn_connect_lrn_gelu": {"widths": [6, 8], "dropconnect": 0.3, "freezeconnect": 0.2, "lrn_size": 3,
                             "activation": "gelu", "pool": "avg", "pool_stride": 1, "global_pool": "max",
                             "head_depth": 2, "head_dropout": 0.2},
    "cnn_bipolar_no_norm": {"activation": "bipolar_sigmoid", "norm": "none", "bias": False},
    "cnn_branches": {"widths": [6, 8], "branch_stages": 1, "branch_width": 0.5, "global_pool": "flatten"},
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_model_variant_exports(name, tmp_path):
    torch.manual_seed(0)
    cfg = ModelConfig(**{"widths": [8], "head_width": 16, **CONFIGS[name]})
    model = create_model(cfg, TASKS, image_size=PREP.image_size).eval()
    net = RunNetwork(model, TASKS, PREP, resolve_runtime(device="cpu", precision="fp32"), tmp_path)
    result = export_networks([net], tmp_path / "m.onnx")
    x = torch.randn(4, 3, 16, 16)
    got = _run_onnx(result.path, x.numpy())
    with torch.no_grad():
        want = model(x)
    np.testing.assert_allclose(got["hair"], want["hair"].softmax(1).numpy(), atol=1e-4)
    np.testing.assert_allclose(got["age"], want["age"].numpy(), atol=1e-4)
    assert result.max_abs_diff < 1e-4 and got["age"].shape == (4,)


def test_a_k_fold_folder_is_refused_naming_a_member(runs, tmp_path, capsys):
    parent = runs("folds")
    assert main(["export", str(parent), "--onnx", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert "k-fold/repeats" in err and str(parent / "fold-1") in err and not (tmp_path / "m.onnx").exists()


def test_cli_export_prints_outputs_and_difference(runs, tmp_path, capsys):
    assert main(["export", str(runs("separate")), "--onnx", str(tmp_path / "out" / "m.onnx")]) == 0
    out = capsys.readouterr().out
    assert "outputs color, size" in out and "max abs diff" in out and (tmp_path / "out" / "m.onnx").exists()
    assert main(["export", str(runs("separate"))]) == 2
    assert "--onnx OUT.onnx" in capsys.readouterr().err


@pytest.mark.parametrize("missing", ["onnx", "onnxruntime"])
def test_missing_packages_say_how_to_install(runs, tmp_path, monkeypatch, missing):
    monkeypatch.setitem(sys.modules, missing, None)  # import raises ImportError
    with pytest.raises(ToonlabError, match=r"pip install 'toonlab\[export\]'"):
        export_onnx(runs("shared"), tmp_path / "m.onnx")
