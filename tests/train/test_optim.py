import pytest
import torch

from toonlab.config import ExperimentConfig, TrainConfig, validate
from toonlab.errors import ToonlabError
from toonlab.train.optim import OPTIMIZERS, SCHEDULES, advance, build_optimizer, build_scheduler


def _params():
    return [torch.nn.Parameter(torch.ones(3))]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_builds_and_steps(name):
    params = _params()
    opt = build_optimizer(params, TrainConfig(optimizer=name, lr=0.1, weight_decay=0.01))
    params[0].sum().backward()
    opt.step()
    assert not torch.equal(params[0].detach(), torch.ones(3))


def test_sgd_momentum_nesterov_and_frozen_params_left_out():
    frozen = torch.nn.Parameter(torch.ones(2), requires_grad=False)
    opt = build_optimizer([*_params(), frozen], TrainConfig(optimizer="sgd", momentum=0.8, nesterov=True))
    group = opt.param_groups[0]
    assert group["momentum"] == 0.8 and group["nesterov"] and len(group["params"]) == 1
    with pytest.raises(ToonlabError, match="momentum"):  # refused with the config, before any optimizer is built
        validate(ExperimentConfig(train=TrainConfig(optimizer="sgd", momentum=0.0, nesterov=True)))


def test_weight_decay_leaves_biases_and_norms_alone_unless_asked():
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    groups = [{"params": [net[0].weight, net[0].bias]}, {"params": list(net[1].parameters()), "lr": 0.5}]
    opt = build_optimizer(groups, TrainConfig(optimizer="adamw", lr=0.1, weight_decay=0.5))
    assert [(len(g["params"]), g["weight_decay"], g["lr"]) for g in opt.param_groups] == [
        (1, 0.5, 0.1), (1, 0.0, 0.1), (2, 0.0, 0.5)]  # each group keeps its own rate
    before = [p.detach().clone() for p in net.parameters()]
    for p in net.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()  # with zero gradients only the decay acts
    after = list(net.parameters())
    assert torch.allclose(after[0], before[0] * (1 - 0.1 * 0.5))
    assert all(torch.equal(a, b) for a, b in zip(after[1:], before[1:]))
    everything = build_optimizer(net.parameters(), TrainConfig(optimizer="adamw", weight_decay=0.5, decay_bias_norm=True))
    assert len(everything.param_groups) == 1 and everything.param_groups[0]["weight_decay"] == 0.5
    assert len(build_optimizer(net.parameters(), TrainConfig(optimizer="adamw", weight_decay=0.0)).param_groups) == 1


@pytest.mark.parametrize(("name", "fused"), [("adam", True), ("adamw", True), ("sgd", True), ("rmsprop", None)])
def test_fused_kernels_where_pytorch_has_them(name, fused):
    opt = build_optimizer(_params(), TrainConfig(optimizer=name))
    assert opt.defaults.get("fused") is fused


def _lrs(schedule, steps, **kw):
    opt = build_optimizer(_params(), TrainConfig(lr=1.0, schedule=schedule, epochs=4, **kw))
    sched = build_scheduler(opt, TrainConfig(lr=1.0, schedule=schedule, epochs=4, **kw), steps_per_epoch=2)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
    return out


def test_step_and_exponential_decay_per_epoch():
    assert _lrs("step", 8, step_size=2, gamma=0.5) == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5]
    assert _lrs("exponential", 6, gamma=0.5) == [1, 1, 0.5, 0.5, 0.25, 0.25]


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_every_schedule_runs_and_resumes_from_its_state(schedule):
    cfg = TrainConfig(lr=1.0, schedule=schedule, epochs=3)
    opt = build_optimizer(_params(), cfg)
    sched = build_scheduler(opt, cfg, steps_per_epoch=2)
    if sched is None:
        return
    for _ in range(3):
        opt.step()
        sched.step()
    opt2 = build_optimizer(_params(), cfg)
    sched2 = build_scheduler(opt2, cfg, steps_per_epoch=2)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sched.state_dict())
    opt.step(), sched.step(), opt2.step(), sched2.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(opt2.param_groups[0]["lr"])


def test_unknown_names_explain():
    with pytest.raises(ToonlabError, match="rmsprop"):
        validate(ExperimentConfig(train=TrainConfig(optimizer="adagrad")))
    with pytest.raises(ToonlabError, match="exponential"):
        validate(ExperimentConfig(train=TrainConfig(schedule="poly")))


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_every_schedule_keeps_each_groups_own_rate(schedule):
    groups = [{"params": _params()}, {"params": _params(), "lr": 0.01}]
    opt = build_optimizer(groups, TrainConfig(lr=0.001, schedule=schedule, epochs=3))
    sched = build_scheduler(opt, TrainConfig(lr=0.001, schedule=schedule, epochs=3), steps_per_epoch=4)
    for _ in range(5):
        opt.step()
        if sched is not None:
            sched.step()
    low, high = (group["lr"] for group in opt.param_groups)
    assert high == pytest.approx(10 * low)


def test_one_cycle_ends_at_its_lowest_rate_instead_of_rising_after_the_last_planned_step():
    opt = build_optimizer(_params(), TrainConfig(optimizer="sgd", lr=0.1))
    scheduler = build_scheduler(opt, TrainConfig(schedule="onecycle", epochs=8), steps_per_epoch=1)
    rates = []
    for _ in range(8):  # 8 epochs of one step each: the rate after each epoch
        opt.step()
        advance(scheduler)
        rates.append(opt.param_groups[0]["lr"])
    assert rates[-1] == min(rates) < 1e-5  # the rate the last step used, not an extrapolated one
