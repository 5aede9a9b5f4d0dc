"""Keyword arguments → config: shortcuts, section dicts, dotted keys, config files and dicts, and the errors."""

from __future__ import annotations

import pytest

from toonlab.api.overrides import SHORTCUTS, build_config, flat_options
from toonlab.config import ConfigError


def test_shortcuts_map_as_the_command_line_does():
    cfg = build_config("faces", epochs=3, tasks=["hair", "face_color"], image_size=32, lr=1e-3, seed=7,
                       batch_size=16, mode="separate", folds=0, source="manifest", labels="l.csv", limit=5)
    assert (cfg.data.path, cfg.train.epochs, cfg.data.tasks, cfg.data.image_size) == ("faces", 3, "hair,face_color", 32)
    assert (cfg.train.lr, cfg.train.seed, cfg.train.batch_size, cfg.train.mode) == (1e-3, 7, 16, "separate")
    assert (cfg.data.source, cfg.data.labels, cfg.data.limit) == ("manifest", "l.csv", 5)
    assert build_config(tasks="hair,eye_color").data.tasks == "hair,eye_color"


@pytest.mark.parametrize("name", sorted(SHORTCUTS))
def test_every_shortcut_names_a_config_key(name):
    section, key = SHORTCUTS[name].split(".")
    assert hasattr(getattr(build_config(), section), key)


def test_section_dicts_and_dotted_keys():
    cfg = build_config(model={"widths": [32, 64], "dropout": 0.1}, augment={"hflip": 0.5},
                       **{"train.lr": 2e-3, "data.grayscale": True})
    assert cfg.model.widths == [32, 64] and cfg.model.dropout == 0.1 and cfg.augment.hflip == 0.5
    assert cfg.train.lr == 2e-3 and cfg.data.grayscale is True


def test_data_as_a_keyword_is_the_folder_or_the_data_section():
    assert build_config(data="faces").data.path == "faces"
    assert build_config(data={"background": "black"}).data.background == "black"


def test_precedence_config_then_sections_then_dotted_then_shortcuts(tmp_path):
    yaml = tmp_path / "c.yaml"
    yaml.write_text("train: {epochs: 2, lr: 0.1, batch_size: 8}\n")
    cfg = build_config(config=yaml, train={"lr": 0.2, "epochs": 3}, **{"train.epochs": 4})
    assert (cfg.train.batch_size, cfg.train.lr, cfg.train.epochs) == (8, 0.2, 4)
    assert build_config(config={"train": {"epochs": 5}}, epochs=6, **{"train.epochs": 9}).train.epochs == 6
    assert build_config(config={"train": {"epochs": 5}}, epochs=None).train.epochs == 5  # None = not given


def test_an_unknown_keyword_names_the_valid_ones_and_the_closest():
    with pytest.raises(ConfigError, match=r"Unknown keyword argument epoch=\. Did you mean epochs=\? Valid keywords: "
                                          r"source, .*Received: epoch=3"):
        build_config(epoch=3)
    with pytest.raises(ConfigError, match=r"Did you mean the config key train\.optimizer\? Pass it as "
                                          r"\*\*\{'train\.optimizer': \.\.\.\} or train=\{'optimizer': \.\.\.\}"):
        build_config(optimizer="sgd")


def test_unknown_keys_and_wrong_values_name_the_keyword():
    with pytest.raises(ConfigError, match=r"model=\{'widthz': \.\.\.\}: unknown key model\.widthz\. "
                                          r"Did you mean 'widths'"):
        build_config(model={"widthz": [8]})
    with pytest.raises(ConfigError, match=r"'train\.lrr': unknown key train\.lrr\. Did you mean 'lr'"):
        build_config(**{"train.lrr": 1})
    with pytest.raises(ConfigError, match=r"epochs=: train\.epochs expects an int\. Received: train\.epochs='five'"):
        build_config(epochs="five")
    with pytest.raises(ConfigError, match=r"model= takes a dict of model keys"):
        build_config(model=[8])
    with pytest.raises(ConfigError, match=r"config= takes a YAML file path or a dict"):
        build_config(config=3)


def test_the_callers_config_is_not_changed():
    base = build_config(epochs=2)
    assert build_config(config=base, epochs=5).train.epochs == 5 and base.train.epochs == 2


def test_flat_options_are_typed_keys_in_precedence_order():
    assert flat_options({"train": {"lr": 1.0}, "train.lr": 2.0, "tasks": ["a", "b"]}) == {
        "train.lr": 2.0, "data.tasks": "a,b"}
