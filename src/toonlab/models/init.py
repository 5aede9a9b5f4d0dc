"""Weight initialisation, including IgNet's per-layer uniform ranges (Mackarov, eq. 3).

A "layer" is one conv or linear module, in forward order, except that all task heads together form
the last layer: they sit at the same depth, and one config must fit a shared network (many heads)
and ``train.mode=separate`` (one head each). So a list in ``model.init_weight_range`` has one value
per conv, per hidden linear (MLP hidden layers, then the neck) and one for the heads.

Example:
    >>> from toonlab.config import ModelConfig
    >>> from toonlab.data.samples import TaskSpec
    >>> from toonlab.models import create_model
    >>> cfg = ModelConfig(widths=[4, 8], head_depth=0, init="uniform", init_weight_range=[1.0, 2.0, 0.5])
    >>> net = create_model(cfg, {"a": TaskSpec("a", classes=("x", "y"))}, image_size=16)
    >>> [name for name, _ in layer_groups(net)]
    ['backbone.stages.0.0', 'backbone.stages.1.0', 'heads']
"""

from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn
from torch.nn.utils import parametrize

from toonlab.config import ModelConfig
from toonlab.errors import ToonlabError

LAYER_TYPES = (nn.Conv2d, nn.Linear)


def layer_groups(model: nn.Module) -> list[tuple[str, list[nn.Module]]]:
    """The model's conv and linear layers in forward order, as ``(name, modules)``; all heads are one group.

    Args:
        model: a built model (modules named ``heads.<task>`` count as the heads).

    Returns:
        One ``(qualified name, [module])`` per conv/linear layer, then ``("heads", [head, ...])`` if any.
    """
    groups, heads = [], []
    for name, module in model.named_modules():
        if isinstance(module, LAYER_TYPES):
            if name.startswith("heads."):
                heads.append(module)
            else:
                groups.append((name, [module]))
    return groups + ([("heads", heads)] if heads else [])


def init_layers(model: nn.Module, cfg: ModelConfig) -> None:
    """Initialise every conv/linear layer by ``cfg.init`` with torch's global RNG (seed it first).

    'default' keeps PyTorch's init; 'kaiming' (normal, ReLU gain) and 'xavier' (uniform) zero the biases;
    'uniform' draws weights from U(−W/(kh·kw), W/(kh·kw)) (kh·kw = 1 for linear layers) and biases from
    U(−B, B), with W from ``cfg.init_weight_range`` and B from ``cfg.init_bias_range``, each one number
    or a list with one value per entry of ``layer_groups(model)``. Safe to call again on a model with
    DropConnect/FreezeConnect: FreezeConnect's frozen values follow the new weights.

    Args:
        model: a built model.
        cfg: the model config.

    Example:
        >>> init_layers(net, ModelConfig(init="uniform", init_weight_range=0.1))  # doctest: +SKIP
    """
    if cfg.init == "default":
        return
    groups = layer_groups(model)
    ws = per_layer(cfg.init_weight_range, len(groups), "init_weight_range")
    bs = per_layer(cfg.init_bias_range, len(groups), "init_bias_range")
    for (_, modules), w, b in zip(groups, ws, bs):
        for module in modules:
            _init_module(module, cfg.init, w, b)


def per_layer(value: float | list, layers: int, name: str) -> list[float]:
    """One non-negative range per layer: a number applies to all, a list must have ``layers`` entries."""
    values = list(value) if isinstance(value, (list, tuple)) else [value] * layers
    if len(values) != layers:
        raise ToonlabError(f"model.{name} needs one value per layer ({layers}: each conv and linear layer, "
                           f"the task heads counting as one), or a single number. Received: {value!r}")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 for v in values):
        raise ToonlabError(f"model.{name} values must be numbers >= 0. Received: {value!r}")
    return [float(v) for v in values]


def _init_module(module: nn.Module, kind: str, w: float, b: float) -> None:
    if kind == "uniform":
        bound = w / math.prod(module.kernel_size) if isinstance(module, nn.Conv2d) else w
        _fill(module, "weight", lambda t: nn.init.uniform_(t, -bound, bound))
        _fill(module, "bias", lambda t: nn.init.uniform_(t, -b, b))
        return
    fill = {"kaiming": lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu"),
            "xavier": nn.init.xavier_uniform_}[kind]
    _fill(module, "weight", fill)
    _fill(module, "bias", nn.init.zeros_)


@torch.no_grad()
def _fill(module: nn.Module, name: str, fill: Callable[[torch.Tensor], torch.Tensor]) -> None:
    if getattr(module, name, None) is None:
        return
    if parametrize.is_parametrized(module, name):
        # Assigning goes through each parametrization's right_inverse (FreezeConnect refreshes its frozen values).
        setattr(module, name, fill(torch.empty_like(getattr(module.parametrizations, name).original)))
    else:
        fill(getattr(module, name))
