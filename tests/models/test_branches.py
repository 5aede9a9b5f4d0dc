"""model.branch_stages: a shared stem, then one branch (and neck) per task that no other task reads."""

import json

import pytest
import torch
from torch import nn

from toonlab.cli import main
from toonlab.config import ExperimentConfig, ModelConfig, validate
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.models import create_model
from toonlab.testing import TINY_TRAIN, make_toy_cartoonset

TASKS = {
    "hair": TaskSpec("hair", classes=tuple(map(str, range(5)))),
    "glasses": TaskSpec("glasses", classes=("a", "b")),
    "age": TaskSpec("age", kind="regression", center=30.0, scale=10.0),
}


def build(tasks=TASKS, **overrides) -> nn.Module:
    torch.manual_seed(0)
    options = {"convs_per_stage": 1, "branch_stages": 2, "branch_width": 0.5, **overrides}  # one conv a stage: convs()
    cfg = ModelConfig(widths=[8, 16, 32], head_width=16, **options)
    return create_model(cfg, tasks, image_size=32)


def convs(model: nn.Module) -> list[nn.Conv2d]:
    return [m for m in model.backbone.stages.modules() if isinstance(m, nn.Conv2d)]


def test_the_last_stages_hold_one_branch_per_task():
    model = build()
    stem, fan_out, grouped = convs(model)
    assert (stem.out_channels, stem.groups) == (8, 1)
    assert (fan_out.out_channels, fan_out.groups) == (3 * 8, 1)  # reads the whole stem
    assert (grouped.out_channels, grouped.groups) == (3 * 16, 3)  # each branch reads only its own channels
    assert model.backbone.num_features == 3 * 16
    neck = model.neck[0]  # the three tasks' necks side by side
    assert (neck.groups, neck.in_features, neck.out_features) == (3, 3 * 16, 3 * 8)  # head_width 16 x branch_width 0.5
    assert model.head_in == 8 and model.heads["hair"].in_features == 8
    out = model(torch.randn(4, 3, 32, 32))
    assert out["hair"].shape == (4, 5) and out["glasses"].shape == (4, 2) and out["age"].shape == (4,)


def test_a_task_reads_only_its_own_branch():
    model = build().eval()
    x = torch.randn(2, 3, 32, 32)
    _, fan_out, grouped = convs(model)
    out = model(x)
    out["glasses"].sum().backward()
    per_branch = fan_out.weight.grad.abs().flatten(1).sum(1).view(3, -1).sum(1)
    assert per_branch[1] > 0 and per_branch[0] == 0 and per_branch[2] == 0  # glasses is the second task
    assert grouped.weight.grad.view(3, 16, -1)[[0, 2]].abs().sum() == 0
    neck_grad = model.neck[0].weight.grad.view(3, 8, -1)
    assert neck_grad[1].abs().sum() > 0 and neck_grad[[0, 2]].abs().sum() == 0
    assert model.heads["hair"].weight.grad is None
    with torch.no_grad():  # changing hair's branch leaves glasses' output as it was
        grouped.weight.view(3, 16, -1)[0].add_(1.0)
    again = model(x)
    assert torch.equal(again["glasses"], out["glasses"]) and not torch.equal(again["hair"], out["hair"])


@pytest.mark.parametrize("pool", ["avg", "max", "flatten"])
def test_every_global_pool_keeps_the_branches_apart(pool):
    model = build(global_pool=pool).eval()
    x = torch.randn(2, 3, 32, 32)
    before = model(x)
    with torch.no_grad():
        convs(model)[-1].weight.view(3, 16, -1)[2].mul_(3.0)
    after = model(x)
    assert torch.equal(after["hair"], before["hair"]) and not torch.equal(after["age"], before["age"])


def test_all_stages_can_branch_and_one_task_is_the_plain_cnn():
    model = build(branch_stages=3)
    assert convs(model)[0].out_channels == 3 * 4 and convs(model)[0].groups == 1
    single = {"hair": TASKS["hair"]}
    plain = build(single, branch_stages=0)
    branched = build(single, branch_stages=3)
    assert branched.branches == 0
    assert [p.shape for p in branched.parameters()] == [p.shape for p in plain.parameters()]


def test_bf16_channels_last_forward_backward():
    model = build().to(memory_format=torch.channels_last)
    x = torch.randn(4, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
    sum(v.float().sum() for v in out.values()).backward()
    assert all(p.grad is not None for p in model.parameters())


def test_a_pointwise_fan_out_keeps_the_branches_apart_after_its_1x1_conv():
    model = build(branch_fanout="pointwise").eval()
    stem, pointwise, fan_out, grouped = convs(model)
    assert (pointwise.kernel_size, pointwise.in_channels, pointwise.out_channels, pointwise.groups) == ((1, 1), 8, 24, 1)
    assert (fan_out.kernel_size, fan_out.in_channels, fan_out.groups) == ((3, 3), 24, 3)  # each branch's own 3x3
    assert grouped.groups == 3 and model.backbone.num_features == 3 * 16
    x = torch.randn(2, 3, 32, 32)
    out = model(x)
    out["glasses"].sum().backward()
    per_branch = pointwise.weight.grad.abs().flatten(1).sum(1).view(3, -1).sum(1)
    assert per_branch[1] > 0 and per_branch[0] == 0 and per_branch[2] == 0
    assert fan_out.weight.grad.view(3, 8, -1)[[0, 2]].abs().sum() == 0
    assert stem.weight.grad.abs().sum() > 0  # the stem is shared
    plain = build({"hair": TASKS["hair"]}, branch_fanout="pointwise")  # one task: the plain CNN, nothing to fan out
    assert [p.shape for p in plain.parameters()] == [p.shape for p in build({"hair": TASKS["hair"]}).parameters()]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"branch_stages": 4}, r"model.branch_stages=4 is more than the 3 conv stages"),
        ({"branch_stages": -1}, r"model.branch_stages must be a whole number >= 0"),
        ({"branch_width": 0.0}, r"model.branch_width must be a number in \(0, 1\]"),
        ({"branch_width": 1.5}, r"model.branch_width must be a number in \(0, 1\]"),
        ({"lrn_size": 3}, r"model.lrn_size .* set one of them to 0"),
        ({"name": "mlp"}, r"model.branch_stages applies to model.name=cnn only"),
        ({"branch_fanout": "dense"}, r"model.branch_fanout must be one of 'conv', 'pointwise'. Received: "
                                     r"model.branch_fanout='dense'"),
    ],
)
def test_bad_branch_options_are_named(overrides, message):
    options = {"convs_per_stage": 1, "branch_stages": 2, "branch_width": 0.5, **overrides}
    with pytest.raises(ToonlabError, match=message):
        validate(ExperimentConfig(model=ModelConfig(widths=[8, 16, 32], head_width=16, **options)))


def test_a_branched_run_trains_and_reloads_through_the_cli(tmp_path):
    data = make_toy_cartoonset(tmp_path / "toons", n=40)
    options = ["--model.branch_stages=1", "--model.widths=[8,8]", "--model.branch_width=0.5", "--train.shared_lr=3",
               "--train.lr=2e-3", "--train.schedule=none", "--train.weight_decay=0"]  # constant rates, one group each
    tiny = [word for word in TINY_TRAIN if not word.startswith("--model.widths")]
    assert main(["train", str(data), "-o", str(tmp_path / "run"), *options, *tiny]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert len(metrics["tasks"]) >= 2
    config = (tmp_path / "run" / "config.yaml").read_text()
    assert "branch_stages: 1" in config and "shared_lr: 3" in config
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=True)
    rates = [group["lr"] for group in state["optimizer"]["param_groups"]]
    assert rates == [pytest.approx(2e-3), pytest.approx(6e-3)]  # train.lr 2e-3; the stem at 3x


def test_shared_lr_speeds_up_only_what_every_task_shares():
    from toonlab.models.transfer import param_groups

    model = build()
    rest, shared = param_groups(model, 0.001, 0.1, shared_lr=4.0)
    assert shared["lr"] == pytest.approx(0.004) and "lr" not in rest
    assert {id(p) for p in shared["params"]} == {id(p) for p in model.backbone.stages[0].parameters()}
    plain = build(branch_stages=0)
    _, shared = param_groups(plain, 0.001, 0.1, shared_lr=4.0)
    expected = [*plain.backbone.parameters(), *plain.neck.parameters()]
    assert {id(p) for p in shared["params"]} == {id(p) for p in expected}
    assert len(param_groups(build({"hair": TASKS["hair"]}), 0.001, 0.1, shared_lr=4.0)) == 1  # nothing shared
    assert len(param_groups(model, 0.001, 0.1)) == 1


def test_a_bad_shared_lr_is_named(tmp_path, capsys):
    data = make_toy_cartoonset(tmp_path / "toons", n=20)
    assert main(["train", str(data), "-o", str(tmp_path / "run"), "--train.shared_lr=0", "-q"]) == 2
    assert "train.shared_lr" in capsys.readouterr().err


def test_shared_lr_with_finetuning_is_refused(tmp_path, capsys):
    data = make_toy_cartoonset(tmp_path / "toons", n=20)
    options = ["--model.name=resnet18", "--model.transfer=finetune", "--model.weights=none", "--train.shared_lr=2"]
    assert main(["train", str(data), "-o", str(tmp_path / "run"), *options, "-q"]) == 2
    assert "leave train.shared_lr at 1" in capsys.readouterr().err


def test_fresh_heads_only_for_the_tasks_the_branches_belong_to():
    model = build()
    old = model.heads["hair"]
    model.reset_classifier(TASKS)  # the same tasks in the same order: fresh heads
    assert model.heads["hair"] is not old and model.task_names == list(TASKS)
    with pytest.raises(ValueError, match="one branch per task"):
        model.reset_classifier({"hair": TASKS["hair"], "age": TASKS["age"], "glasses": TASKS["glasses"]})
