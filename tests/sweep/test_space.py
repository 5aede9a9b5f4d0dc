"""Sweep-space params: preset knobs (one name for several config keys) and sweeps parsed from a mapping."""

from __future__ import annotations

import pytest

from toonlab.config import ConfigError, ExperimentConfig
from toonlab.sweep import apply_point, grid_points, parse_sweep

PRESET = {"aug": {"preset": {"off": {}, "on": {"augment.hflip": 0.5, "augment.p_affine": 1}}}}


def test_a_preset_is_a_grid_of_names_whose_keys_are_typed_and_applied():
    spec = parse_sweep({"space": {**PRESET, "train.lr": {"grid": [0.1]}}})
    assert grid_points(spec) == [{"aug": "off", "train.lr": 0.1}, {"aug": "on", "train.lr": 0.1}]
    knob = spec.space[0]
    assert knob.keys == ("augment.hflip", "augment.p_affine") and knob.presets["on"]["augment.p_affine"] == 1.0
    on = apply_point(spec, {"aug": "on"})
    assert (on.augment.hflip, on.augment.p_affine, on.train.lr) == (0.5, 1.0, spec.base.train.lr)


@pytest.mark.parametrize(("space", "message"), [
    ({"model.dropout": {"preset": {"a": {"model.head_depth": 1}}}}, "is a config key, so it cannot name a preset"),
    ({"aug": {"preset": {"a": {"augment.flip": 0.5}}}}, r"preset 'a': key 'augment.flip': unknown key"),
    ({"aug": {"preset": {"a": {"augment.hflip": "lots"}}}}, "augment.hflip expects a float"),
    ({"aug": {"preset": []}}, "preset expects named bundles"),
    ({**PRESET, "augment.hflip": {"grid": [0.0, 1.0]}}, "'augment.hflip' is set by both space keys 'aug' and"),
])
def test_preset_mistakes_are_config_errors(space, message):
    with pytest.raises(ConfigError, match=message):
        parse_sweep({"space": space}, where="s.yaml")


def test_rounds_refuse_a_preset_that_sets_the_epochs():
    space = {"long": {"preset": {"yes": {"train.epochs": 9}, "no": {}}}}
    strategy = {"kind": "rounds", "rounds": [{"subset": 10, "epochs": 1}]}
    with pytest.raises(ConfigError, match="sets 'train.epochs', which each round sets"):
        parse_sweep({"space": space, "strategy": strategy})


def test_parse_sweep_starts_from_a_given_base_and_leaves_it_alone():
    base = ExperimentConfig()
    base.model.widths = [8]
    spec = parse_sweep({"config": {"train": {"epochs": 3}}, "space": {"train.lr": {"grid": [0.1]}}}, base=base)
    assert spec.base.model.widths == [8] and spec.base.train.epochs == 3 and base.train.epochs != 3
