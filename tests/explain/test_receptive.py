"""Receptive-field arithmetic (seed 002 §1.1) against hand-computed stacks and against real forward shapes."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from toonlab.config import ModelConfig
from toonlab.errors import ToonlabError
from toonlab.explain.receptive import receptive_fields
from toonlab.models.blocks import SamePool2d


def _cols(rows, *keys):
    return [tuple(r[k] for k in keys) for r in rows]


def test_seed_002_two_stride_one_convs_see_f1_plus_f2_minus_1():
    net = nn.Sequential(nn.Conv2d(3, 4, 5), nn.Conv2d(4, 4, 3))
    assert [r["rf"] for r in receptive_fields(net, 32)] == [5, 5 + 3 - 1]


def test_conv_pool_conv_by_hand():
    # 3x3 conv s1 -> 2x2 pool s2 -> 3x3 conv, 'valid': RF 3, 3+1 = 4, 4+2*2 = 8; jumps 1, 2, 2.
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 4, 3))
    rows = receptive_fields(net, 16)
    assert _cols(rows, "name", "rf", "jump", "size") == [("0", 3, 1, 14), ("2", 4, 2, 7), ("3", 8, 2, 5)]
    assert [r["start"] for r in rows] == [0, 0, 0]
    assert [r["center"] for r in rows] == [1, 1.5, 3.5]


def test_stride_two_conv_doubles_the_jump():
    # 3x3 s2 p1 then 3x3 s1 p1: RF 3, 3 + 2*2 = 7; jump 2; start -1, then -1 - 1*2 = -3.
    net = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.Conv2d(4, 4, 3, padding=1))
    assert _cols(receptive_fields(net, 16), "rf", "jump", "size", "start") == [(3, 2, 8, -1), (7, 2, 8, -3)]


@pytest.mark.parametrize("padding, sizes, starts", [("valid", [30, 28], [0, 0]), ("same", [32, 32], [-1, -2])])
def test_valid_and_same_padding_change_size_and_start_not_rf(padding, sizes, starts):
    cfg = ModelConfig(widths=[4, 8], convs_per_stage=1, kernel_size=3, padding=padding, pool="none", norm="none")
    convs = [r for r in receptive_fields(cfg, 32) if r["type"] == "Conv2d"]
    assert [r["size"] for r in convs] == sizes
    assert [r["start"] for r in convs] == starts
    assert [r["rf"] for r in convs] == [3, 5]


def test_stride_one_pool_keeps_size_and_grows_rf():
    cfg = ModelConfig(widths=[4], convs_per_stage=1, kernel_size=3, padding="same", pool="max", pool_size=3,
                      pool_stride=1, norm="none", global_pool="flatten")
    rows = receptive_fields(cfg, 16)
    assert _cols(rows, "type", "size", "jump", "rf") == [("Conv2d", 16, 1, 3), ("SamePool2d", 16, 1, 5)]


def test_dilation_widens_the_kernel():
    net = nn.Sequential(nn.Conv2d(3, 4, 3, dilation=2), nn.Conv2d(4, 4, 3))
    assert _cols(receptive_fields(net, 16), "rf", "size", "dilation") == [(5, 12, 2), (7, 10, 1)]


def test_global_pool_covers_the_last_map():
    cfg = ModelConfig(widths=[4], kernel_size=3, padding="valid", pool="none", norm="none", global_pool="avg")
    rows = receptive_fields(cfg, 10)
    assert rows[-1]["type"] == "AdaptiveAvgPool2d"
    assert (rows[-1]["size"], rows[-1]["rf"]) == (1, 10)


CONFIGS = [
    ModelConfig(),
    ModelConfig(widths=[4, 8], convs_per_stage=1, stride=[2, 2], padding="valid", pool="avg", pool_size=3,
                pool_stride=2),
    ModelConfig(widths=[4, 8], kernel_size=5, convs_per_stage=2, pool="max", pool_size=2, pool_stride=1),
    ModelConfig(widths=[4, 4], padding=2, kernel_size=3, pool="max", pool_size=3),
]


@pytest.mark.parametrize("cfg", CONFIGS, ids=range(len(CONFIGS)))
def test_sizes_match_a_real_forward(cfg):
    from toonlab.data.samples import TaskSpec
    from toonlab.models import create_model

    net = create_model(cfg, {"a": TaskSpec("a", classes=("x", "y"))}, image_size=37)
    shapes = {}
    modules = dict(net.named_modules())
    rows = receptive_fields(net, 37)
    hooks = [modules[r["name"]].register_forward_hook(lambda m, i, o, n=r["name"]: shapes.__setitem__(n, o.shape))
             for r in rows]
    net.eval()(torch.zeros(1, 3, 37, 37))
    for h in hooks:
        h.remove()
    assert [r["size"] for r in rows] == [shapes[r["name"]][-1] for r in rows]
    assert rows == receptive_fields(cfg, 37)  # from the config: the same rows


def test_config_leaves_the_rng_alone():
    state = torch.random.get_rng_state()
    receptive_fields(ModelConfig(widths=[4, 8]), 32)
    assert torch.equal(state, torch.random.get_rng_state())


def test_same_pool_module_and_ceil_mode():
    rows = receptive_fields(nn.Sequential(SamePool2d("avg", 2), nn.MaxPool2d(2, ceil_mode=True)), 7)
    assert _cols(rows, "size", "rf", "jump") == [(7, 2, 1), (4, 3, 2)]


def test_too_small_image_is_a_sentence():
    with pytest.raises(ToonlabError, match="image_size"):
        receptive_fields(nn.Sequential(nn.Conv2d(3, 4, 5), nn.Conv2d(4, 4, 5)), 6)
