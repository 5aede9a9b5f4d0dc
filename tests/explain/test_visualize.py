import csv

import numpy as np
import pytest
import torch
from PIL import Image

from toonlab.cli import main
from toonlab.config import ModelConfig
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.explain.visualize import (back_projection, feature_maps, filter_grid, maps_grid, neuron_outputs,
                                       neuron_weights, visualize_run)
from toonlab.models import create_model
from toonlab.testing import make_toy_cartoonset

TASKS = {"a": TaskSpec("a", classes=("x", "y"))}


def test_filter_grid_lays_four_filters_in_two_by_two_tiles_with_the_strongest_weight_brightest():
    weight = torch.zeros(4, 3, 3, 3)
    weight[0, :, 1, 2] = 1.0  # filter 0: one white pixel, middle row, right column
    weight[1, 0] = 1.0  # filter 1: red (zeros become mid-grey) with ...
    weight[1, :, 0, 0] = -1.0  # ... a black top-left pixel
    grid = filter_grid(weight)
    assert grid.dtype == np.uint8 and grid.shape == (2 + 24 + 2 + 24 + 2,) * 2 + (3,)
    tile0 = grid[2:26, 2:26]
    assert (tile0[8:16, 16:24] == 255).all() and tile0.sum() == 255 * 3 * 8 * 8
    tile1 = grid[2:26, 28:52]
    assert (tile1[8:, 8:] == [255, 128, 128]).all() and (tile1[:8, :8] == 0).all()
    assert (grid[:2] == 255).all() and (grid[:, 26:28] == 255).all()  # white gaps


def test_filter_grid_shows_non_rgb_filters_in_grey():
    weight = torch.arange(9, dtype=torch.float32).reshape(1, 1, 3, 3)
    grid = filter_grid(weight, gap=1)
    assert grid.shape == (26, 26, 3) and (grid[..., 0] == grid[..., 2]).all()
    assert grid[1, 1, 0] == 0 and grid[-2, -2, 0] == 255


def test_maps_grid_keeps_the_strongest_channels_each_normalised():
    maps = torch.zeros(70, 4, 4)
    maps[:, 0, 0] = torch.arange(70, dtype=torch.float32)  # channel c's mean grows with c
    grid = maps_grid(maps, max_channels=64)
    assert grid.dtype == np.uint8 and grid.shape == (8 * 50 + 2, 8 * 50 + 2, 3)
    single = maps_grid(maps[69:], max_channels=64, gap=0)
    assert (single[:12, :12] == single[0, 0]).all() and (single[0, 0] != single[-1, -1]).any()


def test_feature_maps_name_each_stage_and_leave_no_hooks():
    model = create_model(ModelConfig(widths=[4, 8]), TASKS, image_size=16).train()
    maps = feature_maps(model, torch.randn(3, 16, 16))
    assert [(n, tuple(m.shape)) for n, m in maps] == [("stage1", (4, 8, 8)), ("stage2", (8, 4, 4))]
    assert model.training and not any(m._forward_hooks for m in model.modules())
    with pytest.raises(ToonlabError, match="one image"):
        feature_maps(model, torch.randn(2, 3, 16, 16))


def _mlp(hidden=(6, 4, 2), size=4):
    return create_model(ModelConfig(name="mlp", mlp_hidden=list(hidden)), TASKS, image_size=size).eval()


def test_first_layer_neuron_weights_come_back_as_the_images_they_were_set_to():
    model = _mlp()
    images = torch.rand(6, 4, 4, 3)
    with torch.no_grad():
        model.backbone.hidden[0].weight.copy_(images.permute(0, 3, 1, 2).reshape(6, -1))  # flattened (C, H, W)
    got = neuron_weights(model, 4)
    assert set(got) == {"first", "middle"} and got["middle"].shape == (4, 4, 4, 3)
    np.testing.assert_allclose(got["first"], images.numpy())
    np.testing.assert_allclose(neuron_weights(model, 4, "first", max_neurons=2, grayscale=True)["first"],
                               images[:2].sum(-1, keepdim=True).numpy(), rtol=1e-6)
    assert set(neuron_weights(_mlp(hidden=(5,)), 4)) == {"first"}  # one hidden layer: no middle layer


def test_middle_neurons_are_back_projected_through_the_weights_and_batch_norm_scales():
    model = _mlp()
    hidden = model.backbone.hidden
    bn = hidden[1]
    with torch.no_grad():
        bn.running_var.copy_(torch.arange(1.0, 7.0))
        bn.weight.copy_(torch.linspace(-1, 2, 6))
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    expected = hidden[3].weight @ torch.diag(scale) @ hidden[0].weight
    torch.testing.assert_close(back_projection(hidden, 3), expected.detach())
    np.testing.assert_allclose(neuron_weights(model, 4, "middle")["middle"],
                               expected.detach().reshape(4, 3, 4, 4).permute(0, 2, 3, 1).numpy(), rtol=1e-5, atol=1e-7)


def test_neuron_outputs_are_the_activations_of_each_hidden_block():
    model = _mlp()
    x = torch.randn(3, 4, 4)
    hidden = model.backbone.hidden
    with torch.no_grad():
        first = hidden[:3](x.reshape(1, -1))
        middle = hidden[3:6](first)
    got = neuron_outputs(model, x)
    np.testing.assert_allclose(got["first"], first[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(got["middle"], middle[0].numpy(), rtol=1e-6)
    with pytest.raises(ToonlabError, match="which"):
        neuron_outputs(model, x, ["last"])
    with pytest.raises(ToonlabError, match="MLP"):
        neuron_weights(create_model(ModelConfig(widths=[4]), TASKS, image_size=8), 8)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A shared-mode CNN run and a separate-mode MLP run, 1 epoch at 16 px on toy discs."""
    root = tmp_path_factory.mktemp("visualize")
    data = make_toy_cartoonset(root / "toy", n=30)
    common = ["--epochs", "1", "--image-size", "16", "--no-progress", "-q", "--eval.plots=false"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TOONLAB_CACHE", str(root / "cache"))
        assert main(["train", str(data), "-o", str(root / "cnn"), *common, "--model.widths=[8,8]"]) == 0
        assert main(["train", str(data), "-o", str(root / "mlp"), *common, "--model.name=mlp",
                     "--model.mlp_hidden=[32,16,8]", "--train.mode=separate"]) == 0
    return data, root / "cnn", root / "mlp"


def _all_open(paths):
    for path in paths:
        with Image.open(path) as im:
            im.verify()
    return True


def test_cnn_run_gets_filters_input_and_one_picture_per_stage_of_the_first_test_image(runs):
    _, run, _ = runs
    with (run / "splits.csv").open() as f:
        stem = next(r["file"] for r in csv.DictReader(f) if r["split"] == "test").rsplit("/", 1)[-1][:-4]
    written = visualize_run(run)
    out = run / "visualize"
    assert set(written) == {out / "filters.png", *(out / stem / f for f in ("input.png", "stage1.png", "stage2.png"))}
    assert _all_open(written)


def test_mlp_run_gets_neuron_pictures_per_task_network(runs, tmp_path):
    data, _, run = runs
    image = next(data.rglob("toy00003.png"))
    written = visualize_run(run, image, out=tmp_path / "v")
    expected = {tmp_path / "v" / task / name for task in ("color", "size")
                for name in ("neurons_first.png", "neurons_middle.png", "toy00003/input.png", "toy00003/outputs.png")}
    assert set(written) == expected and _all_open(written)
    with Image.open(tmp_path / "v" / "color" / "toy00003" / "outputs.png") as im:
        assert im.width > 4 * 256  # five panes side by side


def test_missing_image_or_checkpoints_are_clear_errors(runs, tmp_path):
    _, run, _ = runs
    with pytest.raises(ToonlabError, match="No image file"):
        visualize_run(run, tmp_path / "nope.png")
    with pytest.raises(ToonlabError, match="no trained model"):
        visualize_run(tmp_path)
