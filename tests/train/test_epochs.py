import json

import pytest
import torch

from toonlab.config import resolve_config
from toonlab.errors import ToonlabError
from toonlab.runtime import resolve_runtime
from toonlab.train import epochs as E
from toonlab.inference.checkpoint import load_checkpoint
from toonlab.workflows.train import train

SMALL = ["data.image_size=24", "model.widths=[8,16]", "model.head_width=32", "train.batch_size=16",
         "train.progress=false", "train.precision=fp32", "eval.plots=false", "eval.report=false"]


def _cfg(data, *extra):
    return resolve_config(overrides=[f"data.path={data}", *SMALL, *extra])


@pytest.mark.parametrize("n, batch, expected", [(7000, 64, 27), (100_000, 64, E.AUTO_MIN), (200, 64, E.AUTO_MAX),
                                                (2100, 64, 91 if E.AUTO_MAX > 91 else E.AUTO_MAX)])
def test_data_size_rule_aims_at_a_number_of_steps(n, batch, expected):
    assert E.auto_epochs(n, batch) == expected


def test_a_given_number_of_epochs_is_kept_without_a_budget():
    assert E.plan_epochs(7, n_train=7000, batch_size=64).epochs == 7
    plan = E.plan_epochs(0, n_train=7000, batch_size=64)
    assert (plan.epochs, plan.rule) == (27, "data size")


def test_a_budget_chooses_the_epochs_that_fit():
    plan = E.plan_epochs(0, n_train=7000, batch_size=64, seconds=600, epoch_seconds=lambda: 10.0)
    assert plan.rule == "budget" and plan.epochs == int(600 // (10.0 * E.SAFETY)) and plan.epoch_s == 10.0
    capped = E.plan_epochs(20, n_train=7000, batch_size=64, seconds=6000, epoch_seconds=lambda: 10.0)
    assert capped.epochs == 20  # a given number of epochs stays the ceiling
    ceiling = E.plan_epochs(0, n_train=7000, batch_size=64, seconds=1e6, epoch_seconds=lambda: 1.0)
    assert ceiling.epochs == E.BUDGET_MAX_FACTOR * 27
    tiny = E.plan_epochs(0, n_train=7000, batch_size=64, seconds=3, epoch_seconds=lambda: 10.0)
    assert tiny.epochs == 1
    assert plan.epochs == 54 and "about 10.0s (timed), so 54 epochs" in plan.describe()


def test_without_fill_the_budget_only_cuts_the_data_size_rule():
    roomy = E.plan_epochs(0, n_train=7000, batch_size=64, seconds=1e6, epoch_seconds=lambda: 1.0, fill=False)
    assert (roomy.epochs, roomy.rule) == (27, "budget")
    short = E.plan_epochs(0, n_train=7000, batch_size=64, seconds=110, epoch_seconds=lambda: 10.0, fill=False)
    assert short.epochs == 10


def test_measure_epoch_scales_step_time_and_leaves_the_model_and_rng_alone():
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 2))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    batches = [(torch.randn(4, 3, 2, 2), torch.zeros(4, dtype=torch.long)) for _ in range(20)]
    calls = []

    def step(net, opt, x, y):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
        calls.append(1)

    rng = torch.get_rng_state()
    seconds = E.measure_epoch(model, lambda net: torch.optim.SGD(net.parameters(), lr=1.0), step, batches,
                              batches[:5], resolve_runtime(device="cpu", precision="fp32"))
    assert seconds > 0 and len(calls) == E.PROBE_WARMUP + E.PROBE_STEPS
    assert torch.equal(rng, torch.get_rng_state())
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())


def test_train_with_a_budget_records_its_plan_and_resume_keeps_it(toy_data, tmp_path):
    metrics = train(_cfg(toy_data, "train.budget=20s", "train.epochs=3", "train.patience=0"), tmp_path / "r")
    plan = metrics["epochs"]["."]
    assert plan["rule"] == "budget" and 1 <= plan["epochs"] <= 3 and plan["epoch_s"] > 0
    assert json.loads((tmp_path / "r/metrics.json").read_text())["epochs"]["."] == plan
    last = load_checkpoint(tmp_path / "r/checkpoints/last.pt")
    assert last["epoch_plan"] == plan and last["config"]["train"]["epochs"] == plan["epochs"]
    again = train(_cfg(toy_data, "train.budget=20s", "train.epochs=3", "train.patience=0"), tmp_path / "r",
                  resume=True)
    assert again["epochs"]["."] == plan  # the resumed network keeps its plan rather than timing again


def test_separate_networks_share_the_budget_each_with_its_own_plan(toy_data, tmp_path):
    metrics = train(_cfg(toy_data, "train.mode=separate", "train.patience=1", "train.budget=30s",
                         "train.epochs=2"), tmp_path / "sep")
    assert set(metrics["epochs"]) == {"tasks/color", "tasks/size"}
    assert all(p["rule"] == "budget" and p["seconds"] <= 30 for p in metrics["epochs"].values())


@pytest.mark.parametrize("bad", ["train.budget=soon", "train.epochs=-1"])
def test_bad_budget_or_epochs_are_refused_before_the_run_folder_exists(toy_data, tmp_path, bad):
    with pytest.raises(ToonlabError, match="Received"):
        train(_cfg(toy_data, bad), tmp_path / "r")
    assert not (tmp_path / "r").exists()
