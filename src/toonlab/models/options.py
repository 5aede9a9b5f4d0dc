"""The ``model.*`` options read per stage (strides, activations). Their values are checked with the config
(:func:`toonlab.config.validate`).

Example:
    >>> from toonlab.config import ModelConfig
    >>> stage_activations(ModelConfig(widths=[8, 16], activation=["identity", "relu"]))
    ['identity', 'relu']
"""

from __future__ import annotations

from typing import Any, Callable

from toonlab.config import ModelConfig


def per_stage(value: Any, stages: int, name: str, cast: Callable[[Any], Any] = int) -> list:
    """A single value applies to every stage; a list gives one value per stage (``len(model.widths)``)."""
    values = list(value) if isinstance(value, (list, tuple)) else [value] * stages
    assert len(values) == stages, f"model.{name}={value!r}: the config's validation checks one value per stage"
    return [cast(v) for v in values]


AUTO_STRIDE_FROM = 128  # input side from which stride 'auto' makes the first conv stride 2


def stage_strides(cfg: ModelConfig, image_size: int) -> list[int]:
    """Each stage's first-conv stride. 'auto': stride 2 in the first stage from 128 px up (the demo's stem:
    a 128 px input costs about what 64 px would), else 1, because at 64 px and below a stride-2 first conv
    throws away the thin strokes drawings are made of."""
    if cfg.stride == "auto":
        first = 2 if image_size >= AUTO_STRIDE_FROM else 1
        return [first] + [1] * (len(cfg.widths) - 1)
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
