"""Rules of the ``model`` section that tie its keys together, and the value it derives: ``data.image_size`` 0
becomes the model's recommended size. Each key's own type, choices and bounds are checked by
:mod:`toonlab.config_checks.fields`; what needs the built network (a feature map that shrinks to nothing,
one init range per layer) is checked where the network is built."""

from __future__ import annotations

from typing import Any

from toonlab.errors import ConfigError

OWN_MODELS = ("cnn", "mlp")  # toonlab's own networks; every other model name is a pretrained backbone
OWN_SIZE, PRETRAINED_SIZE = 64, 224  # recommended input sides (a test checks each backbone's spec agrees)
NO_WEIGHTS = ("imagenet", "none", "")  # model.weights values an own network accepts: it starts from random weights


def recommended_size(name: str) -> int:
    """The input side ``data.image_size=0`` stands for: 224 for a pretrained backbone, else 64."""
    return OWN_SIZE if name in OWN_MODELS else PRETRAINED_SIZE


def check_model(model: Any) -> None:
    """ConfigError naming the keys of the first rule ``model`` breaks."""
    stages = len(model.widths)
    if model.name == "cnn" and not stages:
        raise ConfigError("model.widths needs at least one conv stage, e.g. [32, 64, 128]. Received: model.widths=[]")
    for key in ("stride", "activation"):
        value = getattr(model, key)
        if isinstance(value, list) and len(value) != stages:
            raise ConfigError(f"model.{key} needs one value per stage ({stages}, as in model.widths={model.widths}) "
                              f"or a single value for all. Received: model.{key}={value!r}")
    _check_branches(model)
    if model.name in OWN_MODELS:
        _check_own_weights(model)
    else:
        _check_backbone(model)


def _check_branches(model: Any) -> None:
    if not model.branch_stages:
        return
    if model.name != "cnn":
        raise ConfigError(f"model.branch_stages applies to model.name=cnn only; set model.branch_stages=0. "
                          f"Received: model.branch_stages={model.branch_stages}, model.name={model.name!r}")
    if model.branch_stages > len(model.widths):
        raise ConfigError(f"model.branch_stages={model.branch_stages} is more than the {len(model.widths)} conv "
                          f"stages in model.widths={model.widths}; use at most {len(model.widths)}. "
                          f"Received: model.branch_stages={model.branch_stages}")
    if model.lrn_size:
        raise ConfigError("model.lrn_size normalises across neighbouring channels, which would mix the task "
                          "branches of model.branch_stages; set one of them to 0. "
                          f"Received: model.lrn_size={model.lrn_size}, model.branch_stages={model.branch_stages}")


def _check_own_weights(model: Any) -> None:
    """model.weights loads a pretrained backbone's weights; toonlab's own cnn/mlp has none to load."""
    if model.weights not in NO_WEIGHTS:
        raise ConfigError(f"model.weights applies to pretrained backbones only (model.name=resnet18, "
                          f"efficientnet_lite0, ...); model.name={model.name!r} always starts from random weights. "
                          f"Leave model.weights at 'imagenet' (unused here) or 'none', or choose a pretrained "
                          f"backbone with model.name. Received: model.weights={model.weights!r}")


def _check_backbone(model: Any) -> None:
    """Options a pretrained backbone cannot honour are refused, naming them."""
    used = {key: value for key, value, off in [("model.init", model.init, "default"), ("model.bias", model.bias, True),
                                               ("model.dropconnect", model.dropconnect, 0.0),
                                               ("model.freezeconnect", model.freezeconnect, 0.0)] if value != off}
    if used:
        received = ", ".join(f"{key}={value!r}" for key, value in used.items())
        raise ConfigError(f"{', '.join(used)} apply to toonlab's own cnn/mlp, not to the pretrained backbone "
                          f"{model.name!r}; leave them at their defaults (or use model.name=cnn). "
                          f"Received: model.name={model.name!r}, {received}")
