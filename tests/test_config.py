import pytest

from toonlab.config import ConfigError, ExperimentConfig, field_help, from_dict, resolve_config, save_config, to_dict


def test_precedence_defaults_yaml_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("train:\n  epochs: 7\n  lr: 0.01\nmodel:\n  widths: [8, 16]\n")
    cfg = resolve_config(yaml_path=path, overrides=["train.epochs=3"])
    assert cfg.train.epochs == 3  # override beats YAML
    assert cfg.train.lr == 0.01  # YAML beats default
    assert cfg.model.widths == [8, 16]
    assert cfg.data.image_size == ExperimentConfig().data.image_size  # default kept


def test_round_trip(tmp_path):
    cfg = resolve_config(overrides=["model.stride=[2,1,1,1]", "data.tasks=hair,glasses"])
    save_config(cfg, tmp_path / "c.yaml")
    assert resolve_config(yaml_path=tmp_path / "c.yaml") == cfg
    assert from_dict(to_dict(cfg)) == cfg


@pytest.mark.parametrize(
    "override, match",
    [
        ("train.epoch=3", "Did you mean 'epochs'"),
        ("trian.epochs=3", "unknown config section 'trian'"),
        ("train.epochs=many", "expects a int"),
        ("train.progress=3", "expects a bool"),
        ("epochs=3", "section.key=value"),
    ],
)
def test_bad_overrides_explain(override, match):
    with pytest.raises(ConfigError, match=match):
        resolve_config(overrides=[override])


def test_missing_and_malformed_yaml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_config(yaml_path=tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        resolve_config(yaml_path=bad)


def test_yaml_is_parsed_safely(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text("train: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        resolve_config(yaml_path=evil)


def test_every_field_has_help():
    for section in ("data", "model", "train"):
        assert all(field_help(section).values())
