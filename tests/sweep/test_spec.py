"""Sweep files: the shipped recipes load, and every mistake is a ConfigError naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from toonlab.config import ConfigError, ExperimentConfig, to_dict
from toonlab.sweep import Round, apply_point, grid_points, load_sweep, round_plan

SWEEPS = Path(__file__).parents[2] / "configs" / "sweeps"
GRID = {"model.head_depth": {"grid": [0, 1]}}


def _write(tmp_path: Path, **raw) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump({"space": GRID, **raw}, sort_keys=False), encoding="utf-8")
    return path


def test_every_shipped_sweep_loads():
    assert {p.name for p in SWEEPS.glob("*.yaml")} == {"comics_grid.yaml", "artist_study.yaml"}
    for path in SWEEPS.glob("*.yaml"):
        assert grid_points(load_sweep(path))


def test_comics_grid_is_seed_003s_27_models_in_three_rounds():
    spec = load_sweep(SWEEPS / "comics_grid.yaml")
    points = grid_points(spec)
    expected = [([w] * d, h) for w in (32, 64, 128) for d in (1, 2, 3) for h in (0, 1, 2)]
    assert [(p["model.widths"], p["model.head_depth"]) for p in points] == expected
    assert spec.metric == "val_loss" and spec.direction == "min"
    assert spec.base.data.grayscale and spec.base.model.padding == "valid"  # from base: comics_vs_real.yaml
    plan = round_plan(spec, len(points))
    assert [n for _, n in plan] == [27, 6, 4]
    assert [r for r, _ in plan] == [Round(4800, 10, None, 0.3), Round(10800, 8, 6, 0.2), Round(1.0, 10, 4, None)]


def test_artist_study_varies_one_factor_at_a_time():
    spec = load_sweep(SWEEPS / "artist_study.yaml")
    points = grid_points(spec)
    assert all(len(p) == 1 for p in points)
    assert len(points) == sum(len(p.values) for p in spec.space) == 43
    assert {"model.dropout": 0.5} in points and {"train.optimizer": "rmsprop"} in points
    assert {"model.widths": [16, 32, 64, 128]} in points and {"train.lr": 1e-5} in points
    assert spec.strategy.kind == "oneway" and spec.direction == "max"
    assert spec.base.train.epochs == 10 and spec.base.train.repeats == 1 and spec.base.model.lrn_size == 4


def test_apply_point_copies_the_base_and_sets_values():
    spec = load_sweep(SWEEPS / "comics_grid.yaml")
    before = to_dict(spec.base)
    point = grid_points(spec)[5]
    cfg = apply_point(spec, point)
    assert cfg.model.widths == [32, 32] and cfg.model.head_depth == 2
    assert to_dict(spec.base) == before
    cfg.model.widths.append(1)
    assert grid_points(spec)[5] == point  # the point's list is not shared with the config


def test_defaults_inline_config_ranges_and_typed_values(tmp_path):
    spec = load_sweep(_write(tmp_path, config={"train": {"epochs": 3}}, strategy={"kind": "tpe", "prune": "halving"},
                             space={"train.lr": {"log_range": [1e-4, 1e-2]}, "model.dropout": {"range": [0, 0.5]},
                                    "train.batch_size": {"range": [8, 64], "int": True},
                                    "data.val_fraction": {"choice": ["1e-1", 0.2]}}))
    assert spec.base.train.epochs == 3 and spec.base.model.widths == ExperimentConfig().model.widths
    assert spec.strategy.trials == 20 and spec.seed == 0 and spec.metric == "val_loss"
    lr, dropout, batch, val = spec.space
    assert (lr.kind, lr.low, lr.high) == ("log_range", 1e-4, 1e-2)
    assert isinstance(dropout.low, float) and (batch.low, batch.high, batch.int) == (8, 64, True)
    assert val.values == (0.1, 0.2)  # stored typed, as the config would hold them
    with pytest.raises(ConfigError, match="train.lr"):
        grid_points(spec)


def test_round_plan_resolves_fractions_upwards_and_never_grows(tmp_path):
    rounds = [{"subset": 0.25, "epochs": 2}, {"subset": 0.5, "epochs": 2, "keep": 0.3},
              {"subset": 1.0, "epochs": 2, "keep": 50}]
    spec = load_sweep(_write(tmp_path, strategy={"kind": "rounds", "rounds": rounds}))
    assert [n for _, n in round_plan(spec, 10)] == [10, 3, 3]


BAD = {
    "unknown section": ({"space": {"modle.widths": {"grid": [[8]]}}}, ["modle.widths", "Did you mean 'model'"]),
    "unknown key": ({"space": {"model.widht": {"grid": [[8]]}}}, ["model.widht", "Did you mean 'widths'"]),
    "key without section": ({"space": {"dropout": {"grid": [0.1]}}}, ["'dropout'", "section.key"]),
    "wrong value type": ({"space": {"model.head_depth": {"grid": [1, "deep"]}}}, ["model.head_depth", "int"]),
    "inline config key": ({"config": {"train": {"epoch": 3}}}, ["train.epoch", "Did you mean 'epochs'"]),
    "unknown top-level key": ({"stratgy": {"kind": "grid"}}, ["'stratgy'", "Did you mean 'strategy'"]),
    "unknown param kind": ({"space": {"model.dropout": {"grdi": [0.1]}}}, ["model.dropout", "'grdi'", "'grid'"]),
    "empty grid": ({"space": {"model.dropout": {"grid": []}}}, ["model.dropout", "non-empty list"]),
    "range in grid": ({"space": {"model.dropout": {"range": [0.0, 0.5]}}}, ["model.dropout", "range", "'grid'"]),
    "range on text": ({"space": {"model.padding": {"range": [0, 1]}}, "strategy": {"kind": "random"}},
                      ["model.padding", "takes text"]),
    "float range on int": ({"space": {"train.epochs": {"range": [1, 5]}}, "strategy": {"kind": "tpe"}},
                           ["train.epochs", "int"]),
    "log range from 0": ({"space": {"train.lr": {"log_range": [0, 1]}}, "strategy": {"kind": "tpe"}},
                         ["train.lr", "> 0"]),
    "unknown strategy": ({"strategy": {"kind": "bayes"}}, ["strategy.kind", "'bayes'", "grid"]),
    "unknown pruner": ({"strategy": {"kind": "tpe", "prune": "median"}}, ["strategy.prune", "hyperband"]),
    "trials on grid": ({"strategy": {"kind": "grid", "trials": 5}}, ["strategy.trials", "random or tpe"]),
    "no rounds": ({"strategy": {"kind": "rounds"}}, ["strategy.rounds", "at least one round"]),
    "keep on first round": ({"strategy": {"kind": "rounds", "rounds": [{"subset": 100, "epochs": 1, "keep": 3}]}},
                            ["strategy.rounds[1].keep", "first round"]),
    "no keep later": ({"strategy": {"kind": "rounds", "rounds": [{"subset": 100, "epochs": 1},
                                                                 {"subset": 200, "epochs": 1}]}},
                      ["strategy.rounds[2].keep"]),
    "subset 0": ({"strategy": {"kind": "rounds", "rounds": [{"subset": 0, "epochs": 1}]}},
                 ["strategy.rounds[1].subset", "(0, 1]"]),
    "subset fraction 1.5": ({"strategy": {"kind": "rounds", "rounds": [{"subset": 1.5, "epochs": 1}]}},
                            ["strategy.rounds[1].subset", "Received: 1.5"]),
    "keep fraction 1.5": ({"strategy": {"kind": "rounds", "rounds": [{"subset": 10, "epochs": 1},
                                                                     {"subset": 20, "epochs": 1, "keep": 1.5}]}},
                          ["strategy.rounds[2].keep", "Received: 1.5"]),
    "epochs swept in rounds": ({"space": {"train.epochs": {"grid": [1, 2]}},
                                "strategy": {"kind": "rounds", "rounds": [{"subset": 10, "epochs": 1}]}},
                               ["train.epochs", "each round"]),
    "bad metric": ({"metric": "accuracy"}, ["metric", "val_acc", "'accuracy'"]),
    "metric with empty task": ({"metric": "val_acc/"}, ["metric", "'val_acc/'"]),
    "contradicting direction": ({"metric": "val_loss", "direction": "max"}, ["direction", "val_loss"]),
    "missing base": ({"base": "nope.yaml"}, ["base", "nope.yaml"]),
}


@pytest.mark.parametrize("raw, expected", BAD.values(), ids=BAD.keys())
def test_mistakes_are_config_errors_naming_file_and_key(tmp_path, raw, expected):
    path = _write(tmp_path, **raw)
    with pytest.raises(ConfigError) as info:
        load_sweep(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    for text in expected:
        assert text in message, message
