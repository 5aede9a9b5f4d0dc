"""Checks of the ``model.*`` options, done once before a model is built, so mistakes read as sentences.

Example:
    >>> from toonlab.config import ModelConfig
    >>> check_model_config(ModelConfig(norm_position="before_activation"))
    >>> stage_activations(ModelConfig(widths=[8, 16], activation=["identity", "relu"]))
    ['identity', 'relu']
"""

from __future__ import annotations

from typing import Any, Callable

from toonlab.config import ModelConfig
from toonlab.errors import ToonlabError

CHOICES: dict[str, tuple[str, ...]] = {
    "norm": ("batch", "none"),
    "norm_position": ("before_activation", "after_activation"),
    "dropout_position": ("after_pool", "before_pool"),
    "pool": ("max", "avg", "none"),
    "global_pool": ("avg", "max", "flatten"),
    "init": ("default", "kaiming", "xavier", "uniform"),
    "connect_layers": ("conv", "dense", "all"),
}
RATES: tuple[str, ...] = ("dropout", "head_dropout", "dropconnect", "freezeconnect")
COUNTS: dict[str, int] = {"lrn_size": 0, "pool_size": 1, "pool_stride": 0, "head_depth": 0, "convs_per_stage": 1,
                          "branch_stages": 0}


def check_model_config(cfg: ModelConfig) -> None:
    """Raise a ``ToonlabError`` naming the first ``model.*`` option with an invalid value.

    Args:
        cfg: the model section of the experiment config.
    """
    for key, valid in CHOICES.items():
        check_choice(getattr(cfg, key), valid, f"model.{key}")
    _check_numbers(cfg)
    _check_widths(cfg.mlp_hidden, "model.mlp_hidden")
    _check_branches(cfg)
    for name in ([cfg.activation] if isinstance(cfg.activation, str) else list(cfg.activation)):
        check_activation(name, "model.activation")
    if cfg.dense_activation:
        check_activation(cfg.dense_activation, "model.dense_activation")


def check_choice(value: Any, valid: tuple[str, ...], option: str) -> str:
    """Return ``value`` if it is one of ``valid``; else raise an error naming ``option``."""
    if value not in valid:
        raise ToonlabError(f"{option} must be one of {', '.join(map(repr, valid))}. Received: {value!r}")
    return value


def check_activation(name: Any, option: str) -> str:
    """Return ``name`` if it is a registered activation; else raise an error naming ``option``."""
    from toonlab.models.blocks import ACTIVATIONS

    if not isinstance(name, str) or name not in ACTIVATIONS:
        valid = ", ".join(ACTIVATIONS.names())
        raise ToonlabError(f"{option} must name an activation: {valid}. Received: {name!r}")
    return name


def per_stage(value: Any, stages: int, name: str, cast: Callable[[Any], Any] = int) -> list:
    """A single value applies to every stage; a list gives one value per stage (``len(model.widths)``)."""
    values = list(value) if isinstance(value, (list, tuple)) else [value] * stages
    if len(values) != stages:
        raise ToonlabError(f"model.{name} needs one value per stage ({stages}, as in model.widths). Received: {value!r}")
    return [cast(v) for v in values]


AUTO_STRIDE_FROM = 128  # input side from which stride 'auto' makes the first conv stride 2


def stage_strides(cfg: ModelConfig, image_size: int) -> list[int]:
    """Each stage's first-conv stride. 'auto': stride 2 in the first stage from 128 px up (the demo's stem:
    a 128 px input costs about what 64 px would), else 1, because at 64 px and below a stride-2 first conv
    throws away the thin strokes drawings are made of."""
    if cfg.stride == "auto":
        first = 2 if image_size >= AUTO_STRIDE_FROM else 1
        return [first] + [1] * (len(cfg.widths) - 1)
    if isinstance(cfg.stride, str):
        raise ToonlabError(f"model.stride is 'auto', an int or a list with one int per stage. Received: {cfg.stride!r}")
    return per_stage(cfg.stride, len(cfg.widths), "stride")


def stage_activations(cfg: ModelConfig) -> list[str]:
    """The activation of each conv stage (``model.activation`` as one name or a list per stage)."""
    return per_stage(cfg.activation, len(cfg.widths), "activation", cast=str)


def dense_activation(cfg: ModelConfig) -> str:
    """``model.dense_activation``, or the last conv activation when it is ''."""
    if cfg.dense_activation:
        return cfg.dense_activation
    acts = [cfg.activation] if isinstance(cfg.activation, str) else list(cfg.activation)
    return str(acts[-1]) if acts else "relu"


def _check_numbers(cfg: ModelConfig) -> None:
    for key in RATES:
        value = getattr(cfg, key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
            raise ToonlabError(f"model.{key} must be a rate in [0, 1). Received: {value!r}")
    for key, low in COUNTS.items():
        value = getattr(cfg, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ToonlabError(f"model.{key} must be an integer >= {low}. Received: {value!r}")


def _check_widths(widths: Any, option: str) -> None:
    ok = isinstance(widths, (list, tuple)) and all(isinstance(w, int) and not isinstance(w, bool) and w > 0
                                                   for w in widths)
    if not ok:
        raise ToonlabError(f"{option} must be a list of positive integers, e.g. [300]. Received: {widths!r}")


def _check_branches(cfg: ModelConfig) -> None:
    width = cfg.branch_width
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0.0 < width <= 1.0:
        raise ToonlabError(f"model.branch_width must be a share of each stage's width in (0, 1], e.g. 0.25. "
                           f"Received: {width!r}")
    if cfg.branch_fanout not in ("conv", "pointwise"):
        raise ToonlabError(f"model.branch_fanout must be 'conv' or 'pointwise'. Received: {cfg.branch_fanout!r}")
    if not cfg.branch_stages:
        return
    if cfg.name != "cnn":
        raise ToonlabError(f"model.branch_stages applies to model.name=cnn only (received model.name={cfg.name!r}); "
                           "set model.branch_stages=0.")
    if cfg.branch_stages > len(cfg.widths):
        raise ToonlabError(f"model.branch_stages={cfg.branch_stages} is more than the {len(cfg.widths)} conv stages "
                           f"in model.widths={cfg.widths}; use at most {len(cfg.widths)}.")
    if cfg.lrn_size:
        raise ToonlabError("model.lrn_size normalises across neighbouring channels, which would mix the task "
                           "branches of model.branch_stages; set one of them to 0.")
