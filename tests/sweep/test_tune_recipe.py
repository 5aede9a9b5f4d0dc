"""The tune recipe, the search built from it for the data and the user's options, and the budget checks."""

from __future__ import annotations

import pytest

from toonlab.config import ExperimentConfig, to_dict
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.sweep import apply_point
from toonlab.sweep.tune import check_budget
from toonlab.sweep.tune_recipe import load_recipe, parse_recipe
from toonlab.sweep.tune_search import TuneError, base_config, choose_metric, search_spec, start_point

TWO = {"color": TaskSpec("color", classes=("r", "g")), "size": TaskSpec("size", classes=("s", "l"))}
ONE = {"age": TaskSpec("age", kind="regression")}
KNOBS = ["data.image_size", "model.widths", "model.convs_per_stage", "model.branch_stages", "train.lr",
         "train.weight_decay", "train.label_smoothing", "augment"]


def _shipped_spec(tasks=TWO, **options):
    recipe = load_recipe()
    base, fixed = base_config("data", recipe, **options)
    return recipe, base, search_spec(recipe, base, fixed=fixed, tasks=tasks)


def test_the_shipped_recipe_is_a_valid_space_over_existing_config_keys():
    recipe, base, spec = _shipped_spec()
    assert [p.key for p in spec.space] == KNOBS
    assert spec.strategy.kind == "tpe" and spec.strategy.prune == "halving" and spec.metric == "val_acc"
    assert base.train.optimizer == "adamw" and base.train.schedule == "onecycle"  # the recipe's config layer
    assert spec.base.data.subset == recipe.subset and spec.base.train.epochs == recipe.epochs
    for p in spec.space:  # every value (range ends included) applies to a config without error
        values = [p.low, p.high] if p.is_range else p.values
        for value in values:
            cfg = apply_point(spec, {p.key: value})
            for key in p.keys:
                section, _, name = key.partition(".")
                assert hasattr(getattr(cfg, section), name)
    start = start_point(recipe, spec)
    assert set(start) == set(KNOBS)
    cfg = apply_point(spec, start)
    assert cfg.data.image_size == 128 and cfg.model.widths == [32, 64, 128, 256] and cfg.train.lr == 0.004
    assert to_dict(cfg)["augment"] == to_dict(ExperimentConfig())["augment"]  # "none" is the default augmentation
    defaults = to_dict(ExperimentConfig())
    for key in set(KNOBS) - {"augment"}:  # the first trial is the built-in defaults, the setting tune has to beat
        section, _, name = key.partition(".")
        assert start[key] == defaults[section][name], key


def test_augmentation_strength_is_one_knob_over_several_keys():
    _, _, spec = _shipped_spec()
    knob = next(p for p in spec.space if p.key == "augment")
    assert knob.values == ("none", "light", "medium") and len(knob.keys) >= 5
    light, medium = (apply_point(spec, {"augment": v}).augment for v in ("light", "medium"))
    assert 0 < light.rotate < medium.rotate and 0 < light.p_affine < medium.p_affine and medium.hflip == 0.5


def test_keys_the_user_sets_and_branches_of_a_single_task_are_not_searched(tmp_path):
    config = tmp_path / "mine.yaml"
    config.write_text("train:\n  lr: 0.01\n", encoding="utf-8")
    _, base, spec = _shipped_spec(ONE, config=config, overrides=["model.widths=[8, 16]", "augment.rotate=3"])
    assert [p.key for p in spec.space] == ["data.image_size", "model.convs_per_stage", "train.weight_decay",
                                           "train.label_smoothing"]
    assert base.train.lr == 0.01 and base.model.widths == [8, 16] and base.augment.rotate == 3
    assert spec.metric == "val_loss"  # a regression task: val_acc would not cover it


def test_nothing_left_to_search_is_an_error():
    recipe = parse_recipe({"space": {"train.lr": {"log_range": [1e-4, 1e-2]}}})
    base, fixed = base_config("data", recipe, overrides=["train.lr=0.01"])
    with pytest.raises(TuneError, match="nothing left to search"):
        search_spec(recipe, base, fixed=fixed, tasks=TWO)


def test_trial_epochs_never_exceed_the_users_epochs():
    recipe = parse_recipe({"space": {"train.lr": {"log_range": [1e-4, 1e-2]}}, "search": {"epochs": 6}})
    base, fixed = base_config("data", recipe, overrides=["train.epochs=2"])
    assert search_spec(recipe, base, fixed=fixed, tasks=TWO).base.train.epochs == 2


@pytest.mark.parametrize(("metric", "tasks", "chosen"), [
    ("auto", TWO, "val_acc"), ("auto", {**TWO, **ONE}, "val_loss"), ("auto", None, "val_loss"),
    ("val_acc/color", TWO, "val_acc/color")])
def test_auto_metric(metric, tasks, chosen):
    assert choose_metric(metric, tasks) == chosen


@pytest.mark.parametrize(("search", "message"), [
    ({"share": 1.5}, "search.share expects"),
    ({"sahre": 0.5}, "Did you mean 'share'"),
    ({"subset": 0}, "search.subset expects"),
    ({"epochs": 0}, "search.epochs expects"),
    ({"prune": "halfing"}, "Did you mean 'halving'"),
    ({"min_trial": "soon"}, "search.min_trial is a duration"),
    ({"start": {"model.dropout": 0.1}}, "not a key of the space"),
    ({"multi_task_only": ["model.branch"]}, "not a key of the space"),
])
def test_recipe_mistakes_name_the_key(search, message):
    with pytest.raises(ToonlabError, match=message):
        parse_recipe({"space": {"train.lr": {"log_range": [1e-4, 1e-2]}}, "search": search}, where="r.yaml")


def test_a_start_point_outside_the_space_is_refused():
    recipe = parse_recipe({"space": {"train.lr": {"log_range": [1e-4, 1e-2]}}, "search": {"start": {"train.lr": 0.5}}})
    base, fixed = base_config("data", recipe)
    with pytest.raises(TuneError, match=r"search.start 'train.lr' must be one of the space's values"):
        start_point(recipe, search_spec(recipe, base, fixed=fixed, tasks=TWO))


@pytest.mark.parametrize(("budget", "message"), [
    ("5s", "too small: the search gets 50% of it, and one trial needs at least 1m .* smallest budget is 2m"),
    ("0", "smallest budget is 2m"),
    ("soon", "--budget is a duration such as"),
    ("-3m", "--budget is a duration such as"),
])
def test_bad_or_too_small_budgets_are_refused(budget, message):
    with pytest.raises(ToonlabError, match=message):
        check_budget(budget, load_recipe())


def test_a_big_enough_budget_is_read_as_seconds():
    assert check_budget("30m", load_recipe()) == 1800.0 and check_budget(120, load_recipe()) == 120.0


def test_recipe_config_sections_are_mappings_and_their_keys_exist():
    with pytest.raises(ToonlabError, match="config section 'train' must be a mapping"):
        parse_recipe({"space": {"train.lr": {"grid": [0.1]}}, "config": {"train": ["adamw"]}})
    recipe = parse_recipe({"space": {"train.lr": {"grid": [0.1]}}, "config": {"train": {"optimiser": "adamw"}}},
                          where="r.yaml")
    with pytest.raises(ToonlabError, match="r.yaml: config 'train.optimiser': unknown key"):
        base_config("data", recipe)
