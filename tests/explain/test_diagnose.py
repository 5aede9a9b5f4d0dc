"""Per-layer diagnostics: seed 004's vanishing example, exact gradients, a model left as found, the table."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from toonlab.config import ExperimentConfig, ModelConfig, save_config
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.explain.diagnose import (
    DiagnoseResult,
    Probe,
    build_model,
    check_band,
    diagnose,
    diagnose_run,
    format_diagnose,
    make_probe,
)
from toonlab.models import create_model
from toonlab.models.losses import multitask_loss

TASKS = {"a": TaskSpec("a", classes=("x", "y"))}


def ignet_cfg(**kw) -> ModelConfig:
    """Seed 004's two-layer net (configs/ignet.yaml style): one conv, one head, identity, biases not learned."""
    base = {"widths": [4], "convs_per_stage": 1, "kernel_size": 3, "padding": "valid", "norm": "none",
            "activation": "identity", "pool": "none", "global_pool": "flatten", "head_depth": 0, "head_dropout": 0.0,
            "bias": False, "init": "uniform", "init_weight_range": [1.0, 0.05], "init_bias_range": 0.0,
            "freezeconnect": 0.1}
    return ModelConfig(**(base | kw))


def probe(size: int = 16, batch: int = 16) -> Probe:
    cfg = ExperimentConfig()
    cfg.data.image_size = size
    return make_probe(cfg, batch_size=batch, seed=0)


def test_tiny_second_layer_weights_make_the_first_layer_vanish():
    # Seed 004 fig. 4a: "Too small weights for the second layer were specified, which resulted in small
    # weights derivatives for the first layer" (eq. 1a: layer n's derivative carries W of layer n+1).
    p = probe()
    rows = diagnose(build_model(ignet_cfg(init_weight_range=[1.0, 1e-5]), p, seed=0), p.x, p.y, p.tasks)
    assert (rows[0].name, rows[0].flag) == ("backbone.stages.0.0", "vanishing")
    assert rows[1].flag != "vanishing"
    # Fig. 4b: ten times larger second-layer weights raise the first layer's derivatives ten times.
    bigger = diagnose(build_model(ignet_cfg(init_weight_range=[1.0, 1e-4]), p, seed=0), p.x, p.y, p.tasks)
    assert bigger[0].grad_w == pytest.approx(10 * rows[0].grad_w, rel=1e-3)
    assert bigger[1].grad_w == pytest.approx(rows[1].grad_w, rel=1e-3)


def test_rows_for_every_conv_and_linear_each_head_included():
    tasks = {"a": TaskSpec("a", classes=("x", "y")), "b": TaskSpec("b", classes=("p", "q", "r"))}
    cfg = ModelConfig(widths=[4, 8], convs_per_stage=1, head_depth=1, head_width=8)
    net = create_model(cfg, tasks, image_size=16)
    y = torch.stack([torch.randint(0, 2, (8,)), torch.randint(0, 3, (8,))], 1).float()
    rows = diagnose(net, torch.randn(8, 3, 16, 16), y, tasks)
    expected = [n for n, m in net.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert [r.name for r in rows] == expected == ["backbone.stages.0.0", "backbone.stages.1.0", "neck.0", "heads.a",
                                                  "heads.b"]
    assert [r.out_shape for r in rows] == [(4, 16, 16), (8, 8, 8), (8,), (2,), (3,)]
    assert [r.rf for r in rows] == [3, 8, None, None, None]
    assert rows[0].b_mav is None and rows[0].grad_b is None  # conv before batch norm: no bias
    assert rows[2].grad_b is not None


def test_values_match_a_plain_backward_and_inplace_relu_does_not_hide_the_pre_activation_gradient():
    torch.manual_seed(0)
    net = create_model(ModelConfig(widths=[4], norm="none", activation="relu", head_depth=0, head_dropout=0.0),
                       TASKS, image_size=12)
    twin = copy.deepcopy(net)
    twin.backbone.stages[0][1].inplace = False
    x, y = torch.randn(6, 3, 12, 12), torch.randint(0, 2, (6, 1)).float()
    rows = diagnose(net, x, y, TASKS)
    conv = twin.backbone.stages[0][0]
    outs: list[torch.Tensor] = []

    def keep(module, inputs, output):
        output.retain_grad()
        outs.append(output)

    conv.register_forward_hook(keep)
    multitask_loss(twin(x), y, TASKS)[0].backward()
    assert rows[0].grad_w == pytest.approx(conv.weight.grad.abs().mean().item(), rel=1e-5)
    assert rows[0].grad_b == pytest.approx(conv.bias.grad.abs().mean().item(), rel=1e-5)
    assert rows[0].dout_mav == pytest.approx(6 * outs[0].grad.abs().mean().item(), rel=1e-5)
    assert rows[0].w_mav == pytest.approx(conv.weight.abs().mean().item())
    assert rows[0].in_mav == pytest.approx(x.abs().mean().item())
    assert rows[0].ratio == pytest.approx(rows[0].grad_w / rows[0].w_mav)
    assert rows[0].params == 4 * 3 * 9 + 4


def test_model_is_left_as_found():
    net = create_model(ModelConfig(widths=[4], freezeconnect=0.2, dropconnect=0.1), TASKS, image_size=12).eval()
    before = copy.deepcopy(net.state_dict())
    rows = diagnose(net, torch.randn(4, 3, 12, 12), torch.ones(4, 1), TASKS)
    assert not net.training
    assert all(p.grad is None for p in net.parameters())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())  # batch-norm statistics restored
    for m in net.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks and not m._backward_hooks
    assert rows[0].kind == "Conv2d" and rows[-1].kind == "Linear"


def test_frozen_biases_have_no_gradient_row_but_keep_their_size():
    p = probe()
    rows = diagnose(build_model(ignet_cfg(init_bias_range=0.1), p, seed=0), p.x, p.y, p.tasks)
    assert all(r.grad_b is None and r.b_mav > 0 for r in rows)


def test_ratio_measure_and_band_validation():
    p = probe()
    rows = diagnose(build_model(ignet_cfg(init_weight_range=[1.0, 1e-5]), p, seed=0), p.x, p.y, p.tasks,
                    measure="ratio")
    assert rows[1].flag == "exploding"  # tiny weights, ordinary gradient: a huge ratio
    assert check_band("1e-3, 1") == (1e-3, 1.0)
    for bad in ["0.1,0.01", "x", (0, 1)]:
        with pytest.raises(ToonlabError, match="LO,HI"):
            check_band(bad)
    with pytest.raises(ToonlabError, match="measure"):
        diagnose(build_model(ignet_cfg(), p, seed=0), p.x, p.y, p.tasks, measure="relative")


def test_unlabelled_batch_is_a_sentence():
    p = probe(batch=4)
    with pytest.raises(ToonlabError, match="no label"):
        diagnose(build_model(ignet_cfg(), p, seed=0), p.x, torch.full((4, 1), float("nan")), p.tasks)


def test_format_lists_every_layer_marks_flags_and_sums_up():
    p = probe()
    rows = diagnose(build_model(ignet_cfg(init_weight_range=[1.0, 1e-5]), p, seed=0), p.x, p.y, p.tasks)
    text = format_diagnose(DiagnoseResult("net.yaml", rows, notes=["a note"]))
    assert "note: a note" in text
    for r in rows:
        assert r.name in text and r.flag in text
    flagged = [line for line in text.splitlines() if line.startswith("!")]
    assert len(flagged) == sum(r.flag in ("vanishing", "exploding") for r in rows) >= 1
    assert text.splitlines()[-1].endswith("backbone.stages.0.0 vanishing")
    assert "layers outside 0.01..0.1 (|dL/dW|)" in text.splitlines()[-1]


def _write_config(path, data_path: str = "", **model) -> None:
    cfg = ExperimentConfig()
    cfg.data.image_size, cfg.data.path = 16, data_path
    cfg.model = ignet_cfg(**model)
    save_config(cfg, path)


def test_diagnose_run_on_a_config_with_toy_data(tmp_path, toy_data):
    _write_config(tmp_path / "c.yaml")
    result = diagnose_run(tmp_path / "c.yaml", toy_data, batch_size=8)
    assert [r.name for r in result.layers] == ["backbone.stages.0.0", "heads.color", "heads.size"]
    assert result.layers[0].out_shape == (4, 14, 14)
    assert any("training images" in n for n in result.notes)


def test_diagnose_run_on_a_run_folder_without_data_falls_back_to_random_images(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    _write_config(run / "config.yaml", data_path=str(tmp_path / "gone"))
    result = diagnose_run(run, batch_size=4, seed=1)
    assert [r.name for r in result.layers] == ["backbone.stages.0.0", "heads.dummy"]
    assert any("trained weights not loaded" in n for n in result.notes)
    assert any("random images" in n for n in result.notes)
    again = diagnose_run(run, batch_size=4, seed=1)
    assert [r.grad_w for r in again.layers] == [r.grad_w for r in result.layers]  # seeded


def test_diagnose_run_refuses_missing_inputs(tmp_path):
    with pytest.raises(ToonlabError, match="YAML config file or a run folder"):
        diagnose_run(tmp_path / "nothing.yaml")
    _write_config(tmp_path / "c.yaml")
    with pytest.raises(ToonlabError, match="does not exist"):
        diagnose_run(tmp_path / "c.yaml", tmp_path / "no-data")
