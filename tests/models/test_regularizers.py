import pytest
import torch

from toonlab.config import ModelConfig
from toonlab.data.samples import TaskSpec
from toonlab.models import OWN_MODELS, create_model
from toonlab.models.regularizers import DropConnect, FreezeConnect

TASKS = {"hair": TaskSpec("hair", classes=tuple(map(str, range(5)))), "glasses": TaskSpec("glasses", classes=("a", "b"))}
X = torch.randn(4, 3, 16, 16, generator=torch.Generator().manual_seed(0))


def build(name="cnn", **overrides):
    cfg = ModelConfig(name=name, **{"widths": [16, 32], "head_width": 16, "mlp_hidden": [32], **overrides})
    return create_model(cfg, TASKS, image_size=16)


def fit_steps(model, steps=3, **adam):
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05, **adam)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        sum(v.square().mean() for v in model(X).values()).backward()
        optimizer.step()


@pytest.mark.parametrize("name", OWN_MODELS)
def test_dropconnect_is_random_in_training_and_off_in_eval(name):
    model = build(name, dropconnect=0.3).train()
    assert not torch.equal(model(X)["hair"], model(X)["hair"])
    model.eval()
    assert torch.equal(model(X)["hair"], model(X)["hair"])


def test_dropconnect_zeroes_about_rate_and_scales_the_rest():
    layer = build(dropconnect=0.3, connect_layers="conv").backbone.stages[1][0]
    full = layer.parametrizations.weight.original.detach()
    dropped = layer.train().weight.detach()
    zeros = (dropped == 0).float().mean().item()
    assert abs(zeros - 0.3) < 0.04 and full.numel() == 16 * 32 * 9
    kept = dropped != 0
    assert torch.allclose(dropped[kept], full[kept] / 0.7)
    assert torch.equal(layer.eval().weight, full)


@pytest.mark.parametrize("where", ["conv", "dense", "all"])
def test_connect_layers_select_the_layers(where):
    model = build(dropconnect=0.1, freezeconnect=0.1, connect_layers=where)
    hit = {type(m).__mro__[1].__name__ for m in model.modules() if hasattr(m, "parametrizations")}
    assert hit == {"conv": {"Conv2d"}, "dense": {"Linear"}, "all": {"Conv2d", "Linear"}}[where]
    assert all(isinstance(m.parametrizations.weight[-1], DropConnect) for m in model.modules()
               if hasattr(m, "parametrizations"))


@pytest.mark.parametrize("name", OWN_MODELS)
def test_freezeconnect_weights_never_move_yet_shape_the_output(name):
    torch.manual_seed(0)
    model = build(name, freezeconnect=0.4, dropconnect=0.1, norm="none")
    layer = model.heads["hair"]
    fc = layer.parametrizations.weight[0]
    assert isinstance(fc, FreezeConnect) and fc.mask.float().mean().item() == pytest.approx(0.4, abs=0.02)
    before = layer.parametrizations.weight.original.detach().clone()
    fit_steps(model, weight_decay=0.1)
    model.eval()
    after = layer.weight.detach()
    assert torch.equal(after[fc.mask], before[fc.mask]) and not torch.equal(after[~fc.mask], before[~fc.mask])
    out = model(X)["hair"]
    with torch.no_grad():
        fc.frozen[fc.mask] += 1.0
    assert not torch.allclose(model(X)["hair"], out)


@pytest.mark.parametrize("name", OWN_MODELS)
@pytest.mark.parametrize("extra", [{"dropconnect": 0.3}, {"freezeconnect": 0.3}, {"dropconnect": 0.2, "freezeconnect": 0.2}])
def test_state_dict_round_trip_gives_identical_eval_outputs(name, extra):
    torch.manual_seed(0)
    model = build(name, **extra)
    fit_steps(model, steps=2)
    state = model.state_dict()
    torch.manual_seed(1)  # other init and other FreezeConnect masks, overwritten by the load
    fresh = build(name, **extra)
    fresh.load_state_dict(state)
    assert torch.equal(fresh.eval()(X)["hair"], model.eval()(X)["hair"])
