import pytest
import torch
from torch import nn

from toonlab.config import ExperimentConfig, ModelConfig, validate
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.models import MODELS, OWN_MODELS, create_model, list_models
from toonlab.models.blocks import BipolarSigmoid, SamePool2d

TASKS = {"hair": TaskSpec("hair", classes=tuple(map(str, range(5)))), "glasses": TaskSpec("glasses", classes=("a", "b"))}
TINY = dict(widths=[4, 8], convs_per_stage=1, head_width=8, mlp_hidden=[16])  # stage layouts below: one conv


def build(name="cnn", size=16, **overrides):
    return create_model(ModelConfig(name=name, **{**TINY, **overrides}), TASKS, image_size=size)


def test_registry_lists_cnn_and_mlp():
    assert {"cnn", "mlp"} <= set(list_models())


@pytest.mark.parametrize("name", OWN_MODELS)
def test_every_model_returns_logits_per_task(name):
    model = create_model(ModelConfig(name=name, widths=[8, 16]), TASKS, image_size=32)
    out = model(torch.randn(3, 3, 32, 32))
    assert isinstance(model.heads, torch.nn.ModuleDict)
    assert {k: tuple(v.shape) for k, v in out.items()} == {"hair": (3, 5), "glasses": (3, 2)}
    assert model.forward_features(torch.randn(3, 3, 32, 32)).shape == (3, model.backbone.num_features)


KNOBS = [
    {"padding": "valid", "kernel_size": 5},
    {"stride": [2, 1], "pool": "avg"},
    {"pool": "none", "global_pool": "flatten"},
    {"convs_per_stage": 2, "norm": "none", "activation": "gelu", "dropout": 0.2},
    {"head_depth": 0},
    {"head_depth": 2, "activation": "bipolar_sigmoid"},
    {"activation": ["identity", "tanh"], "dense_activation": "sigmoid"},
    {"norm_position": "after_activation", "dropout": 0.1},
    {"dropout_position": "before_pool", "dropout": 0.1},
    {"lrn_size": 3},
    {"pool_stride": 1},
    {"pool": "avg", "pool_stride": 1, "pool_size": 3},
    {"pool_size": 3, "pool_stride": 2},
    {"bias": False, "norm": "none"},
    {"init": "kaiming"},
    {"init": "xavier"},
    {"init": "uniform", "init_weight_range": 0.5, "init_bias_range": 0.1},
    {"dropconnect": 0.3},
    {"freezeconnect": 0.3, "connect_layers": "conv"},
    {"dropconnect": 0.2, "freezeconnect": 0.2, "connect_layers": "dense"},
    {"mlp_hidden": [16, 8], "head_depth": 0},
    {"mlp_hidden": []},
]


@pytest.mark.parametrize("name", OWN_MODELS)
@pytest.mark.parametrize("overrides", KNOBS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_config_knobs_build_and_run_forward_backward(name, overrides):
    model = build(name, **overrides).train()
    out = model(torch.randn(2, 3, 16, 16))
    sum(v.sum() for v in out.values()).backward()
    assert out["hair"].shape == (2, 5)
    assert any(p.grad is not None for p in model.parameters())


def test_depth_and_width_follow_config():
    model = create_model(ModelConfig(widths=[4, 8, 12], convs_per_stage=1), TASKS, image_size=32)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [4, 8, 12]


def test_per_stage_and_dense_activations_sit_where_configured():
    model = build(widths=[4, 8, 8], activation=["identity", "bipolar_sigmoid", "tanh"], dense_activation="sigmoid")
    stages = model.backbone.stages
    assert isinstance(stages[0][2], nn.Identity) and isinstance(stages[1][2], BipolarSigmoid)
    assert isinstance(stages[2][2], nn.Tanh) and isinstance(model.neck[2], nn.Sigmoid)
    assert isinstance(build(activation=["relu", "tanh"]).neck[2], nn.Tanh)  # '' = the last conv activation


def test_mlp_layers_follow_the_baseline():
    model = build("mlp", size=8, mlp_hidden=[300], head_depth=0, dropout=0.25)
    kinds = [type(m) for m in model.backbone.hidden]
    assert kinds == [nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Dropout]
    assert model.backbone.hidden[0].in_features == 8 * 8 * 3 and model.head_in == 300


def test_positions_of_norm_lrn_pool_and_dropout():
    after = [type(m) for m in build(norm_position="after_activation", lrn_size=3).backbone.stages[0]]
    assert after == [nn.Conv2d, nn.ReLU, nn.BatchNorm2d, nn.LocalResponseNorm, nn.MaxPool2d]
    before = [type(m) for m in build(dropout_position="before_pool", dropout=0.1).backbone.stages[0]]
    assert before == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.Dropout2d, nn.MaxPool2d]
    assert build().backbone.stages[0][-1].stride == 2  # pool_stride 0 = pool_size


@pytest.mark.parametrize("pool", ["max", "avg"])
@pytest.mark.parametrize("size", [2, 3])
def test_pool_stride_one_keeps_the_size(pool, size):
    model = build(pool=pool, pool_size=size, pool_stride=1, global_pool="flatten")
    assert isinstance(model.backbone.stages[0][-1], SamePool2d)
    assert model.backbone.stages(torch.randn(1, 3, 16, 16)).shape == (1, 8, 16, 16)


def test_same_max_pool_matches_a_neg_inf_padded_reference():
    x = -torch.rand(1, 2, 5, 5)  # all negative: zero padding would show
    ref = torch.nn.functional.max_pool2d(torch.nn.functional.pad(x, (0, 1, 0, 1), value=-1e9), 2, 1)
    assert torch.equal(SamePool2d("max", 2)(x), ref)


@pytest.mark.parametrize("name", OWN_MODELS)
def test_bias_false_freezes_conv_and_linear_biases_only(name):
    torch.manual_seed(0)
    model = build(name, bias=False, norm="none", init="uniform", init_bias_range=0.5).train()
    biases = {n: p.detach().clone() for n, p in model.named_parameters() if n.endswith(".bias") and p.dim() == 1
              and not isinstance(model.get_submodule(n.rsplit(".", 1)[0]), nn.modules.batchnorm._BatchNorm)}
    weights = {n: p.detach().clone() for n, p in model.named_parameters() if n.endswith("weight")}
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        sum(v.square().mean() for v in model(torch.randn(4, 3, 16, 16)).values()).backward()
        optimizer.step()
    assert biases and all(torch.equal(p, biases[n]) for n, p in model.named_parameters() if n in biases)
    assert all(not torch.equal(p, weights[n]) for n, p in model.named_parameters() if n in weights)


def test_channels_last_bf16_forward_matches_fp32():
    torch.manual_seed(0)
    model = create_model(ModelConfig(widths=[8, 16]), TASKS, image_size=32).eval()
    x = torch.randn(2, 3, 32, 32)
    ref = model(x)["hair"]
    model = model.to(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x.contiguous(memory_format=torch.channels_last))["hair"].float()
    assert torch.allclose(out, ref, atol=0.1)


@pytest.mark.parametrize("name", OWN_MODELS)
@pytest.mark.parametrize("extra", [{}, {"dropconnect": 0.3}, {"freezeconnect": 0.3}, {"pool_stride": 1, "lrn_size": 3}])
def test_bf16_channels_last_forward_backward(name, extra):
    model = build(name, **extra).train().to(memory_format=torch.channels_last)
    x = torch.randn(2, 3, 16, 16).contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
    sum(v.float().sum() for v in out.values()).backward()
    assert torch.isfinite(out["hair"].float()).all()


def test_mlp_accepts_channels_last_input():
    model = build("mlp").eval()
    x = torch.randn(2, 3, 16, 16)
    assert torch.equal(model(x)["hair"], model(x.contiguous(memory_format=torch.channels_last))["hair"])


@pytest.mark.parametrize(
    ("overrides", "option"),
    [
        ({"activation": ["relu"]}, "model.activation"),
        ({"activation": "relux"}, "model.activation"),
        ({"dense_activation": "soft"}, "model.dense_activation"),
        ({"norm_position": "after"}, "model.norm_position"),
        ({"dropout_position": "middle"}, "model.dropout_position"),
        ({"norm": "layer"}, "model.norm"),
        ({"pool": "min"}, "model.pool"),
        ({"lrn_size": -1}, "model.lrn_size"),
        ({"pool_stride": -2}, "model.pool_stride"),
        ({"init": "orthogonal"}, "model.init"),
        ({"init": "uniform", "init_weight_range": [1.0, 1.0]}, "model.init_weight_range"),
        ({"init": "uniform", "init_bias_range": [0.1] * 9}, "model.init_bias_range"),
        ({"init": "uniform", "init_weight_range": -1.0}, "model.init_weight_range"),
        ({"dropconnect": 1.0}, "model.dropconnect"),
        ({"freezeconnect": -0.1}, "model.freezeconnect"),
        ({"connect_layers": "heads"}, "model.connect_layers"),
        ({"mlp_hidden": [0]}, "model.mlp_hidden"),
        ({"stride": "half"}, "model.stride"),
    ],
)
def test_bad_options_name_the_option_and_the_received_value(overrides, option):
    """Refused by the config's validation, or (one init range per layer) where the network is built."""
    cfg = ModelConfig(widths=[8, 16], head_width=16, **overrides)
    with pytest.raises(ToonlabError, match=rf"{option}.*Received: "):
        validate(ExperimentConfig(model=cfg))
        create_model(cfg, TASKS, image_size=16)


def test_errors_explain():
    with pytest.raises(ToonlabError, match="one value per stage"):
        validate(ExperimentConfig(model=ModelConfig(widths=[8, 16], stride=[1, 1, 1])))
    with pytest.raises(ToonlabError, match="shrinks"):
        create_model(ModelConfig(widths=[8] * 6, padding="valid", kernel_size=5), TASKS, image_size=16)
    with pytest.raises(ToonlabError, match="Did you mean 'cnn'"):
        create_model(ModelConfig(name="cn"), TASKS, image_size=32)
    with pytest.raises(ToonlabError, match="'before_activation', 'after_activation'"):
        validate(ExperimentConfig(model=ModelConfig(norm_position="x")))
    assert "cnn" in MODELS and "mlp" in MODELS


@pytest.mark.parametrize("size, first", [(32, 1), (64, 1), (127, 1), (128, 2), (256, 2)])
def test_auto_stride_halves_the_first_stage_only_from_128_px(size, first):
    model = build(size=size)  # stride 'auto' is the default
    convs = [m for m in model.backbone.modules() if isinstance(m, nn.Conv2d)]
    assert convs[0].stride == (first, first) and all(c.stride == (1, 1) for c in convs[1:])
    assert model(torch.randn(2, 3, size, size))["hair"].shape == (2, 5)


def test_plain_heads_run_as_one_linear_layer_with_the_same_outputs_and_gradients():
    torch.manual_seed(0)
    model, x = build(), torch.randn(4, 3, 16, 16)
    model.eval()  # batch norm on running statistics: both passes see the same network
    fused = model(x)
    by_head = {name: head(model.neck(model.forward_features(x))) for name, head in model.heads.items()}
    for name in TASKS:
        assert torch.allclose(fused[name], by_head[name], atol=1e-6), name
    sum(v.sum() for v in fused.values()).backward()
    assert all(h.weight.grad is not None and h.bias.grad is not None for h in model.heads.values())


def test_a_hooked_head_is_called_as_itself():
    model, seen = build(), []
    model.heads["glasses"].register_forward_hook(lambda _m, _i, out: seen.append(tuple(out.shape)))
    model(torch.randn(2, 3, 16, 16))
    assert seen == [(2, 2)]
