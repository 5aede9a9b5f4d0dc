import pytest
import torch

from toonlab.config import ModelConfig
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.models import MODELS, create_model, list_models

TASKS = {"hair": TaskSpec("hair", classes=tuple(map(str, range(5)))), "glasses": TaskSpec("glasses", classes=("a", "b"))}


@pytest.mark.parametrize("name", list_models())
def test_every_model_returns_logits_per_task(name):
    model = create_model(ModelConfig(name=name, widths=[8, 16]), TASKS, image_size=32)
    out = model(torch.randn(3, 3, 32, 32))
    assert isinstance(model.heads, torch.nn.ModuleDict)
    assert {k: tuple(v.shape) for k, v in out.items()} == {"hair": (3, 5), "glasses": (3, 2)}
    assert model.forward_features(torch.randn(3, 3, 32, 32)).shape[0] == 3


@pytest.mark.parametrize(
    "overrides",
    [
        {"padding": "valid", "kernel_size": 5},
        {"stride": [2, 1], "pool": "avg"},
        {"pool": "none", "global_pool": "flatten"},
        {"convs_per_stage": 2, "norm": "none", "activation": "gelu", "dropout": 0.2},
        {"head_depth": 0},
        {"head_depth": 2, "head_width": 32, "activation": "bipolar_sigmoid"},
    ],
)
def test_config_knobs_build_and_run(overrides):
    cfg = ModelConfig(widths=[8, 16], **overrides)
    model = create_model(cfg, TASKS, image_size=32)
    assert model(torch.randn(2, 3, 32, 32))["hair"].shape == (2, 5)


def test_depth_and_width_follow_config():
    model = create_model(ModelConfig(widths=[4, 8, 12]), TASKS, image_size=32)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [4, 8, 12]


def test_channels_last_bf16_forward_matches_fp32():
    torch.manual_seed(0)
    model = create_model(ModelConfig(widths=[8, 16]), TASKS, image_size=32).eval()
    x = torch.randn(2, 3, 32, 32)
    ref = model(x)["hair"]
    model = model.to(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x.contiguous(memory_format=torch.channels_last))["hair"].float()
    assert torch.allclose(out, ref, atol=0.1)


def test_errors_explain():
    with pytest.raises(ToonlabError, match="one value per stage"):
        create_model(ModelConfig(widths=[8, 16], stride=[1, 1, 1]), TASKS, image_size=32)
    with pytest.raises(ToonlabError, match="shrinks"):
        create_model(ModelConfig(widths=[8] * 6, padding="valid", kernel_size=5), TASKS, image_size=16)
    with pytest.raises(ToonlabError, match="Did you mean 'cnn'"):
        create_model(ModelConfig(name="cn"), TASKS, image_size=32)
    assert "cnn" in MODELS
