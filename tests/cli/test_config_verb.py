"""``toonlab config``: every key of every section with its type, default and meaning; --yaml loads back."""

import dataclasses

import pytest
import yaml

from toonlab.cli import main
from toonlab.cli.config import default
from toonlab.cli.help import show
from toonlab.config import SECTIONS, ExperimentConfig, field_type, resolve_config, to_dict


def run(argv, capsys) -> str:
    assert main(["config", *argv]) == 0
    return capsys.readouterr().out


def test_lists_every_key_of_every_section_with_type_default_and_meaning(capsys):
    out = run([], capsys)
    flat = " ".join(out.split())
    for section, cls in SECTIONS.items():
        assert f"{section}: " in out
        for f in dataclasses.fields(cls):
            assert f"{section}.{f.name} ({field_type(section, f.name)}, default {show(default(f))})" in out
            assert " ".join(f.metadata["help"].split()) in flat


def test_one_section(capsys):
    out = run(["train"], capsys)
    assert "train.epochs (int >= 0, default 0)" in out and "train.lr (float > 0, default 0.004)" in out
    assert "train.optimizer ('adam' | 'adamw' | 'sgd' | 'rmsprop', default adamw)" in out and "data.path" not in out and "model.widths" not in out


@pytest.mark.parametrize("section", [None, *SECTIONS])
def test_yaml_loads_back_as_the_defaults(section, tmp_path, capsys):
    text = run(["--yaml"] + ([section] if section else []), capsys)
    defaults = to_dict(ExperimentConfig())
    assert yaml.safe_load(text) == ({section: defaults[section]} if section else defaults)
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    assert to_dict(resolve_config(yaml_path=path)) == defaults


def test_an_unknown_section_names_the_closest(capsys):
    assert main(["config", "trian"]) == 2
    assert "Did you mean 'train'?" in capsys.readouterr().err
