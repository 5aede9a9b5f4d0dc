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
        ("train.epochs=many", r"train\.epochs expects an int\. Received: train\.epochs='many'"),
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


# --- validation: every key declares its choices and bounds; resolve_config ends in one validate() ------------

import dataclasses  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import get_args  # noqa: E402

import yaml  # noqa: E402

from toonlab.config import SECTIONS, ModelConfig, choices_of, validate  # noqa: E402

NAN, INF = float("nan"), float("inf")
BAD_VALUES = {  # key -> values refused, each with a ConfigError naming the key and what was received
    "data.source": ["folderz"], "data.duplicates": ["dorp"], "data.image_size": [-1], "data.limit": [-5],
    "data.subset": [-1, 1.5], "data.val_fraction": [-0.1, 1.0, NAN], "data.test_fraction": [1.2, -0.5],
    "data.folds": [-2, 1], "data.duplicate_distance": [-1.0, INF], "data.workers": [-1],
    "model.name": ["resnet19", "cn"], "model.widths": [[0, 8], [-3], [], ["a"]], "model.convs_per_stage": [0],
    "model.kernel_size": [0], "model.stride": ["half", 0, [1, 0, 1, 1], [1, 1]], "model.padding": ["full", -1],
    "model.norm": ["layer"], "model.activation": ["relux", ["relu"], ["relu", "relu", "nope", "relu"]],
    "model.dense_activation": ["soft"], "model.norm_position": ["after"], "model.dropout_position": ["middle"],
    "model.lrn_size": [-1], "model.init": ["orthogonal"], "model.init_weight_range": [-1.0, [1.0, -1.0]],
    "model.init_bias_range": [-0.1], "model.dropconnect": [1.0, -0.1], "model.freezeconnect": [-0.1, 1.0],
    "model.connect_layers": ["heads"], "model.mlp_hidden": [[0], [300, -1]], "model.pool": ["min"],
    "model.pool_size": [0], "model.pool_stride": [-2], "model.dropout": [1.0, -0.2, 1.5],
    "model.global_pool": ["sum"], "model.branch_stages": [-1, 5], "model.branch_width": [0.0, 1.5],
    "model.branch_fanout": ["dense"], "model.head_depth": [-1], "model.head_width": [0],
    "model.head_dropout": [1.0], "model.transfer": ["frozen"], "model.weights": ["zap", "/no/such.pth"],
    "model.backbone_lr": [0.0, 2.0], "model.unfreeze_epochs": [-1],
    "train.mode": ["joint"], "train.epochs": [-1], "train.budget": ["soon", "-5m"], "train.batch_size": [0, -8],
    "train.optimizer": ["adamww", "lion"], "train.momentum": [-0.1, 1.0], "train.lr": [-1, 0, NAN, INF],
    "train.weight_decay": [-0.01], "train.schedule": ["poly"], "train.step_size": [0], "train.gamma": [0.0, -1.0],
    "train.patience": [-1], "train.min_delta": [-1e-4], "train.loss_weights": [{"hair": -1}, {"hair": "x"}],
    "train.undrawn_labels": ["drop"], "train.label_smoothing": [1.0, 1.5, -0.1], "train.shared_lr": [0.0, -1.0],
    "train.task_balance": ["gradnorm"], "train.balance_power": [0.0], "train.max_rollbacks": [-1],
    "train.rollback_lr_factor": [0.0, 1.0, 2.0], "train.checkpoint_every": [-2], "train.diverge_factor": [-1.0, 0.5, 1.0],
    "train.diverge_steps": [0], "train.precision": ["fp16"],
    "train.channels_last": ["yes"], "train.device": ["gpu", "cuda:x"], "train.seed": [-1], "train.repeats": [0],
    "train.threads": [-1],
    "augment.hflip": [1.5, -0.1], "augment.p_noise": [-0.1], "augment.rotate": [-5.0], "augment.hue": [0.6],
    "augment.scale": [1.0], "augment.stretch": [1.2], "augment.noise_fraction": [2.0], "augment.brightness": [NAN],
    "augment.p_jitter": ["0.5x", 2.0], "augment.vflip": [1.01], "augment.p_affine": [-1.0], "augment.shift": [-0.1],
    "augment.contrast": [-0.5], "augment.saturation": [INF], "augment.p_sharpness": [1.5], "augment.sharpness": [-1.0],
    "augment.p_invert": [2.0], "augment.p_grayscale": [-0.5], "augment.noise_level": [1.5],
    "eval.mistakes": [-1],
}
CASES = [(key, value) for key, values in BAD_VALUES.items() for value in values]


@pytest.mark.parametrize("key, value", CASES, ids=[f"{k}={v!r}" for k, v in CASES])
def test_a_bad_value_is_refused_naming_the_key_and_what_was_received(key, value):
    with pytest.raises(ConfigError, match=rf"{re.escape(key)}\b.*Received: .*{re.escape(key.split('.', 1)[1])}"):
        resolve_config(options={key: value})


def test_every_number_and_choice_key_has_a_bad_value_tested():
    for section, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            key = f"{section}.{f.name}"
            if f.metadata["bounds"] or choices_of(key):
                assert key in BAD_VALUES, f"add a bad value of {key} to BAD_VALUES"


@pytest.mark.parametrize("override, message", [
    ("train.optimizer=adamww", r"train\.optimizer must be one of 'adam', 'adamw', 'sgd', 'rmsprop'\. Did you mean "
                               r"'adamw'\? Received: train\.optimizer='adamww'"),
    ("train.lr=-1", r"train\.lr must be a number > 0, e.g\. 0\.004\. Received: train\.lr=-1\.0"),
    ("train.batch_size=0", r"train\.batch_size must be a whole number >= 1, e\.g\. 64\. Received: train\.batch_size=0"),
    ("model.dropout=1.5", r"model\.dropout must be a number in \[0, 1\), e\.g\. 0\.0\. Received: model\.dropout=1\.5"),
    ("model.weights=zap", r"model\.weights applies to pretrained backbones only .* or 'none'.* Received: "
                          r"model\.weights='zap'"),
])
def test_messages_say_what_is_expected(override, message):
    with pytest.raises(ConfigError, match=message):
        resolve_config(overrides=[override])


@pytest.mark.parametrize("options, message", [
    ({"data.val_fraction": 0.5, "data.test_fraction": 0.5}, r"data\.val_fraction \+ data\.test_fraction must be "
                                                            r"below 1"),
    ({"data.folds": 5, "train.repeats": 3}, r"either k-fold .*not both.*Received: data\.folds=5, train\.repeats=3"),
    ({"train.optimizer": "sgd", "train.nesterov": True, "train.momentum": 0.0}, r"train\.nesterov needs "
                                                                                r"train\.momentum > 0"),
    ({"model.name": "resnet18", "model.transfer": "finetune", "train.shared_lr": 2.0}, r"leave train\.shared_lr at 1"),
    ({"model.name": "resnet18", "model.init": "uniform"}, r"model\.init apply to toonlab's own cnn/mlp.*"
                                                          r"Received: model\.name='resnet18', model\.init='uniform'"),
    ({"model.name": "mlp", "model.branch_stages": 1}, r"model\.branch_stages applies to model\.name=cnn only"),
    ({"model.branch_stages": 1, "model.lrn_size": 3}, r"model\.lrn_size .* set one of them to 0"),
    ({"model.widths": [8, 16], "model.stride": [1, 1, 1]}, r"model\.stride needs one value per stage \(2"),
])
def test_rules_across_keys_name_them(options, message):
    with pytest.raises(ConfigError, match=message):
        resolve_config(options=options)


def test_the_defaults_validate_and_nothing_changes():
    assert validate(ExperimentConfig()) == ExperimentConfig()


def test_good_values_of_every_form_pass():
    cfg = resolve_config(options={"model.stride": [2, 1, 1, 1], "model.padding": 1, "model.activation": ["relu"] * 4,
                                  "model.init_weight_range": [1.0, 2.0], "data.subset": 0.3, "train.device": "cuda:1",
                                  "model.name": "resnet18", "model.weights": "none", "train.loss_weights": {"a": 2}})
    assert cfg.model.padding == 1 and cfg.data.subset == 0.3 and cfg.model.init_weight_range == [1.0, 2.0]


@pytest.mark.parametrize("name, size", [("cnn", 64), ("mlp", 64), ("resnet18", 224), ("efficientnet_lite0", 224)])
def test_image_size_0_becomes_the_models_recommended_size_when_resolved(name, size):
    assert resolve_config(overrides=[f"model.name={name}", "data.image_size=0"]).data.image_size == size
    assert resolve_config(options={"model.name": name, "data.image_size": 32}).data.image_size == 32


def test_the_check_runs_once_at_the_end_so_a_later_key_can_fix_an_earlier_one():
    cfg = resolve_config(overrides=["train.lr=-1", "data.image_size=0"], options={"train.lr": 0.01,
                                                                                   "model.name": "resnet18"})
    assert cfg.train.lr == 0.01 and cfg.data.image_size == 224


def test_a_hand_built_config_is_checked_too():
    with pytest.raises(ConfigError, match=r"model\.dropout"):
        validate(ExperimentConfig(model=ModelConfig(dropout=2.0)))


RECIPES = sorted((Path(__file__).parents[1] / "src" / "toonlab" / "recipes").glob("*.yaml"))


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_every_shipped_recipe_validates(path):
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    sections = raw["config"] if "config" in raw else raw  # tune.yaml: a search whose `config` is the base
    validate(from_dict(sections, where=path.name))


def test_choices_backed_by_a_registry_match_it():
    from toonlab.config import Activation, ModelName, Source
    from toonlab.data.sources import SOURCES
    from toonlab.models import MODELS, recommended_size
    from toonlab.models.backbones import BACKBONES
    from toonlab.models.blocks import ACTIVATIONS

    assert sorted(get_args(ModelName)) == MODELS.names()
    assert sorted(get_args(Activation)) == ACTIVATIONS.names()
    assert sorted(get_args(Source)) == sorted(["auto", *SOURCES.names()])
    assert all(recommended_size(ModelConfig(name=name)) == spec.size for name, spec in BACKBONES.items())
