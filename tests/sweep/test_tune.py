"""``toonlab tune`` end to end on tiny data: trials, best.yaml, the final run, resume, refusals and the CLI."""

from __future__ import annotations

import math
import shutil

import optuna
import pytest
import yaml

from toonlab.cli import main
from toonlab.config import from_dict, load_yaml, resolve_config
from toonlab.sweep.clock import SPENT
from toonlab.sweep.storage import storage_url
from toonlab.sweep.results import Row, rank
from toonlab.sweep.tune import FINAL_SPENT, Finalist, pick_finalists, tune, winner
from toonlab.sweep.tune_recipe import RECIPE
from toonlab.sweep.tune_search import TuneError
from toonlab.testing import make_toy_cartoonset, read_csv

# 16 px, two 8-wide stages, 2 epochs: image size and widths are fixed, so the search is over the other knobs.
TINY = ["data.image_size=16", "model.widths=[8, 8]", "model.head_width=16", "train.batch_size=16", "train.epochs=2",
        "data.workers=1", "eval.plots=false", "train.precision=fp32"]
BUDGET = "60s"  # far more than two tiny trials take: the trial cap ends these searches, never the clock


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return make_toy_cartoonset(tmp_path_factory.mktemp("data") / "toy", n=60, size=24)


@pytest.fixture(scope="module")
def recipe(tmp_path_factory):
    """The shipped recipe with tiny trials: 2 epochs, and a minimum trial of half a second."""
    from importlib import resources

    raw = yaml.safe_load(resources.files("toonlab.recipes").joinpath(RECIPE).read_text(encoding="utf-8"))
    raw["search"].update(min_trial="0.5s", epochs=2, share=0.8)
    path = tmp_path_factory.mktemp("recipe") / "tiny.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tuned(toy, recipe, tmp_path_factory):
    """One finished tune of two trials: (folder, result, the lines it said)."""
    out, lines = tmp_path_factory.mktemp("tune") / "out", []
    result = tune(toy, out, budget=BUDGET, overrides=TINY, recipe=recipe, trials=2, say=lines.append)
    return out, result, lines


def _study(out):
    return optuna.load_study(study_name="tune", storage=storage_url(out, None))


def _finished(out) -> list[int]:
    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    return [t.number for t in _study(out).get_trials(states=done)]


def test_the_search_trains_trials_then_the_best_setting_on_all_images(tuned):
    out, result, lines = tuned
    assert _finished(out) == [0, 1]
    rows = read_csv(out / "results.csv")
    assert len(rows) == 2 and {r["folder"] for r in rows} == {"trials/t000", "trials/t001"}
    first = load_yaml(out / "trials" / "t000" / "config.yaml")  # the recipe's start point: the defaults' values
    assert first["train"]["lr"] == 0.004 and first["model"]["branch_stages"] == 0 and first["augment"]["rotate"] == 0
    assert first["data"]["subset"] == 2000 and first["train"]["epochs"] == 2 and first["train"]["monitor"] == "val_acc"
    # the finalists: the best trial and the start point (t000), each trained on all images; the better one on
    # validation is the final run
    assert {f.name for f in result.finalists} == {"t000", "t001"} and result.finalists[0].name == rows[0]["folder"][-4:]
    assert result.run == max(result.finalists, key=lambda f: f.value).run and not result.reused
    for finalist in result.finalists:
        for name in ("config.yaml", "metrics.json", "report.html"):
            assert (finalist.run / name).is_file()
    assert any(line.startswith("Finalists on all images: t") for line in lines)
    assert any(line.startswith(f"Final run: {result.run.name} (") for line in lines)
    assert "final-t000" in (out / "best.yaml").read_text() and "final-t001" in (out / "best.yaml").read_text()
    table = read_csv(out / "finalists.csv")
    assert [r["run"] for r in table] == [f.run.name for f in result.finalists]
    assert [r["run"] for r in table if r["final"] == "1"] == [result.run.name] and table[0]["val_acc"]
    final = load_yaml(result.run / "config.yaml")
    assert final["data"]["subset"] == 0 and final["train"]["budget"].endswith("s") and final["train"]["budget"] != "0s"
    assert final["train"]["budget_fill"] is False  # the budget may cut a finalist's epochs, never add to them
    best = resolve_config(yaml_path=out / "best.yaml")
    assert best.train.budget == "" and best.data.subset == 0 and best.model.widths == [8, 8]
    assert best.train.lr == result.point["train.lr"] == float(rows[0]["train.lr"])
    assert result.metrics["tasks"].keys() == {"color", "size"}
    study = _study(out)
    assert study.user_attrs[SPENT] > 0 and study.user_attrs[FINAL_SPENT] > 0
    assert 0 < result.spent_s and result.budget_s == 60.0
    trial_lines = [line for line in lines if line.startswith("trial t")]
    assert len(trial_lines) == 4 and all(" of 1m left" in line for line in trial_lines)
    assert "lr=0.004" in trial_lines[0] and "val_acc" in trial_lines[1]


def _row(folder, point, value, state="complete"):
    return Row(slot=int(folder[-1]), round=None, point=point, state=state, value=value, folder=f"trials/{folder}")


def test_finalists_are_the_best_trial_the_start_then_the_next_best(tmp_path):
    for t in ("t000", "t001", "t002", "t003"):
        (tmp_path / "trials" / t).mkdir(parents=True)
    start = {"train.lr": 0.004}
    rows = [_row("t002", {"train.lr": 0.01}, 0.9), _row("t003", {"train.lr": 0.02}, 0.8, "pruned"),
            _row("t001", {"train.lr": 0.03}, 0.7), _row("t000", start, 0.6)]
    assert pick_finalists(rows, start, 2, tmp_path) == [("t002", {"train.lr": 0.01}), ("t000", start)]
    assert pick_finalists(rows, start, 3, tmp_path)[2] == ("t001", {"train.lr": 0.03})  # finished trials only
    assert pick_finalists(rows, start, 1, tmp_path) == [("t002", {"train.lr": 0.01})]
    rows[3].value = 0.95  # the start is the best trial itself: it trains once
    assert pick_finalists(rank(rows, "max"), start, 2, tmp_path) == [("t000", start), ("t002", {"train.lr": 0.01})]


def test_the_winner_is_the_best_validation_value_and_never_a_diverged_run(tmp_path):
    finals = [Finalist(n, {}, tmp_path / n, {}, v, False) for n, v in (("a", 0.8), ("b", math.nan), ("c", 0.8))]
    assert winner(finals, "max").name == "a"  # the first of equals: the search's pick
    assert winner(finals, "min").name == "a"
    finals[2].value = 0.5
    assert winner(finals, "min").name == "c"


def test_the_same_command_again_trains_nothing(tuned, toy, recipe):
    out, result, _ = tuned
    stamp = (result.run / "metrics.json").stat().st_mtime_ns
    lines = []
    again = tune(toy, out, budget=BUDGET, overrides=TINY, recipe=recipe, trials=2, say=lines.append)
    assert _finished(out) == [0, 1] and not any(" started" in line for line in lines)
    assert again.reused and again.run == result.run and again.metrics == result.metrics
    assert (result.run / "metrics.json").stat().st_mtime_ns == stamp


def test_a_spent_search_share_stops_the_search_and_more_budget_continues_it(tuned, toy, recipe, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(tuned[0], out)
    stamps = {t: (out / "trials" / t / "metrics.json").stat().st_mtime_ns for t in ("t000", "t001")}
    _study(out).set_user_attr(SPENT, 1000.0)  # as if the earlier run had searched for 1000 s
    tune(toy, out, budget=BUDGET, overrides=TINY, recipe=recipe, trials=5, say=lambda _: None)
    assert _finished(out) == [0, 1]  # the trial cap allows more, the clock does not
    _study(out).set_user_attr(SPENT, 0.0)
    lines = []
    tune(toy, out, budget=BUDGET, overrides=TINY, recipe=recipe, trials=3, say=lines.append)
    assert _finished(out) == [0, 1, 2] and sum(" started" in line for line in lines) == 1
    assert {t: (out / "trials" / t / "metrics.json").stat().st_mtime_ns for t in stamps} == stamps


def test_a_folder_holding_another_search_is_refused(tuned, toy, recipe):
    with pytest.raises(TuneError, match="holds a tune search started with other settings"):
        tune(toy, tuned[0], budget=BUDGET, overrides=[*TINY, "train.batch_size=8"], recipe=recipe, trials=2)


def test_cli_tune_prints_progress_trials_and_the_final_run(toy, recipe, tmp_path, capsys):
    out = tmp_path / "cli"
    tiny = [f"--{o}" for o in TINY]
    code = main(["tune", str(toy), "--budget", "1m", "-o", str(out), "--recipe", str(recipe), "--trials", "1",
                 "--tasks", "color", *tiny])
    printed = capsys.readouterr().out
    assert code == 0
    assert f"Tune folder: {out}" in printed and "branch_stages" not in printed  # one task: no branches to search
    assert "trial t000 done: val_acc" in printed and "of 1m left" in printed
    assert "rank" in printed and "Final run final-t000, the finalist with the best val_acc (final-t000 " in printed and "color" in printed
    assert f"Run: {out / 'final-t000'}" in printed and "budget spent" in printed
    assert from_dict(load_yaml(out / "best.yaml")).data.tasks == "color"


@pytest.mark.parametrize(("args", "message"), [
    (["--budget", "90s"], "smallest budget is 2m"),
    (["--budget", "soon"], "--budget is a duration such as"),
    (["--budget", "1h", "--trials", "0"], "--trials expects a number of trials >= 1"),
    (["--budget", "1h", "--model.widthz=[8]"], "unknown key model.widthz"),
])
def test_cli_refuses_bad_options_with_one_sentence(toy, tmp_path, capsys, args, message):
    assert main(["tune", str(toy), "-o", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("toonlab tune: error:") and message in err and "Traceback" not in err


def test_cli_refuses_a_missing_data_folder(tmp_path, capsys):
    assert main(["tune", str(tmp_path / "nowhere"), "--budget", "1h", "-o", str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err
