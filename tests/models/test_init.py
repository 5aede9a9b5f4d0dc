import math

import pytest
import torch
from torch import nn

from toonlab.config import ModelConfig
from toonlab.data.samples import TaskSpec
from toonlab.models import OWN_MODELS, create_model, init_layers, layer_groups

TASKS = {"hair": TaskSpec("hair", classes=tuple(map(str, range(5)))), "glasses": TaskSpec("glasses", classes=("a", "b"))}


def build(name="cnn", **overrides):
    base = {"widths": [8, 16], "convs_per_stage": 1, "head_width": 32, "mlp_hidden": [64]}  # cnn: one conv a stage
    cfg = ModelConfig(name=name, **{**base, **overrides})
    return create_model(cfg, TASKS, image_size=16)


def test_layer_groups_are_in_forward_order_with_heads_last_as_one():
    names = [n for n, _ in layer_groups(build(norm="none", convs_per_stage=2, head_depth=2))]
    assert names == ["backbone.stages.0.0", "backbone.stages.0.2", "backbone.stages.1.0", "backbone.stages.1.2",
                     "neck.0", "neck.3", "heads"]
    groups = dict(layer_groups(build("mlp", head_depth=1)))
    assert list(groups) == ["backbone.hidden.0", "neck.0", "heads"] and len(groups["heads"]) == 2


@pytest.mark.parametrize("name", OWN_MODELS)
def test_uniform_init_fills_each_layer_range(name):
    torch.manual_seed(0)
    ws = [2.0, 0.5, 1.0, 3.0][: len(layer_groups(build(name)))]  # cnn: 2 convs, neck, heads; mlp: hidden, neck, heads
    model = build(name, norm="none", init="uniform", init_weight_range=ws, init_bias_range=0.25)
    for (_, layers), w in zip(layer_groups(model), ws, strict=True):
        for layer in layers:
            bound = w / math.prod(layer.kernel_size) if isinstance(layer, nn.Conv2d) else w
            top = layer.weight.abs().max().item()
            assert top <= bound and top > 0.9 * bound  # inside the range, and the range is used
            assert layer.bias.abs().max().item() <= 0.25


def test_uniform_bias_range_zero_gives_zero_biases_and_kaiming_xavier_zero_them():
    for cfg in [{"init": "uniform"}, {"init": "kaiming"}, {"init": "xavier"}]:
        model = build(norm="none", **cfg)
        assert all(torch.count_nonzero(m[0].bias) == 0 for _, m in layer_groups(model))


def test_init_draws_from_the_global_rng():
    torch.manual_seed(3)
    a = build(init="uniform").state_dict()
    torch.manual_seed(3)
    b = build(init="uniform").state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_reinit_of_a_freezeconnect_model_moves_its_frozen_values_too():
    torch.manual_seed(0)
    model = build(freezeconnect=0.5, dropconnect=0.1, connect_layers="dense").eval()
    init_layers(model, ModelConfig(init="uniform", init_weight_range=1e-3))
    head = model.heads["hair"]
    assert head.weight.abs().max() <= 1e-3 and head.parametrizations.weight[0].frozen.abs().max() <= 1e-3
