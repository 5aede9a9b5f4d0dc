"""Models: registered by name, all with the same anatomy (``forward_features`` → heads by task).

``create_model`` builds the registered model (its ``model.*`` options checked with the config, see
:func:`toonlab.config.validate`), then applies what every
model shares: initialisation (``model.init``), frozen biases (``model.bias=false``) and
DropConnect/FreezeConnect (``model.dropconnect``, ``model.freezeconnect`` on ``model.connect_layers``).

Example:
    >>> from toonlab.config import ModelConfig
    >>> from toonlab.data.samples import TaskSpec
    >>> net = create_model(ModelConfig(widths=[8, 16]), {"a": TaskSpec("a", classes=("x", "y"))}, image_size=32)
    >>> sorted(net(torch.zeros(2, 3, 32, 32)))
    ['a']
"""

from __future__ import annotations

import torch

from toonlab.config import ModelConfig
from toonlab.config_checks.model import OWN_MODELS
from toonlab.config_checks.model import recommended_size as _recommended_size
from toonlab.data.samples import TaskSpec
from toonlab.errors import ToonlabError
from toonlab.models.backbones import BACKBONES
from toonlab.models.cnn import CNNBackbone, branch_width
from toonlab.models.init import init_layers, layer_groups
from toonlab.models.mlp import MLPBackbone
from toonlab.models.network import MultiHeadNet
from toonlab.models.options import dense_activation
from toonlab.models.regularizers import apply_connect, connect_targets, freeze_biases
from toonlab.models.transfer import pretrained_model
from toonlab.registry import Registry

MODELS: Registry = Registry("model")

__all__ = ["MODELS", "OWN_MODELS", "create_model", "init_layers", "layer_groups", "list_models", "recommended_size"]


@MODELS.register("cnn")
def cnn(cfg: ModelConfig, tasks: dict[str, TaskSpec], *, image_size: int) -> MultiHeadNet:
    """The configurable CNN with a shared dense neck and one head per task."""
    return _with_heads(CNNBackbone(cfg, image_size=image_size, branches=len(tasks)), tasks, cfg)


@MODELS.register("mlp")
def mlp(cfg: ModelConfig, tasks: dict[str, TaskSpec], *, image_size: int) -> MultiHeadNet:
    """The raw-pixel MLP baseline (hidden ``model.mlp_hidden``) with the same neck and heads as the CNN."""
    return _with_heads(MLPBackbone(cfg, image_size=image_size), tasks, cfg)


def _register_backbones() -> None:
    for name in BACKBONES:
        MODELS.register(name)(lambda cfg, tasks, *, image_size: pretrained_model(cfg, tasks))


_register_backbones()


def recommended_size(cfg: ModelConfig) -> int:
    """The input size a model is made for: a pretrained backbone's (224), else 64 (what ``data.image_size=0``
    becomes when the config is validated)."""
    return _recommended_size(cfg.name)


def create_model(cfg: ModelConfig, tasks: dict[str, TaskSpec], *, image_size: int) -> MultiHeadNet:
    """Build the model named ``cfg.name`` for ``tasks`` at ``image_size``, initialised and regularised.

    Random draws (initialisation, FreezeConnect masks) use torch's global RNG; seed it first.

    Args:
        cfg: the model config.
        tasks: task name → spec; one head per task.
        image_size: square input side in pixels.

    Raises:
        ToonlabError: an unknown model name, or options that do not fit ``image_size``.
    """
    try:
        builder = MODELS.get(cfg.name)
    except KeyError as e:
        raise ToonlabError(str(e).strip('"')) from None
    model = builder(cfg, tasks, image_size=image_size)
    if cfg.name not in OWN_MODELS:  # a pretrained backbone keeps its weights (its options are checked)
        return model
    init_layers(model, cfg)
    if not cfg.bias:
        freeze_biases(model)
    apply_connect(connect_targets(model, cfg.connect_layers), dropconnect=cfg.dropconnect,
                  freezeconnect=cfg.freezeconnect)
    return model


def list_models() -> list[str]:
    """Names of every registered model."""
    return MODELS.names()


def _with_heads(backbone: torch.nn.Module, tasks: dict[str, TaskSpec], cfg: ModelConfig) -> MultiHeadNet:
    return MultiHeadNet(backbone, tasks, neck_depth=cfg.head_depth, neck_width=cfg.head_width,
                        activation=dense_activation(cfg), dropout=cfg.head_dropout, norm_position=cfg.norm_position,
                        branch_neck_width=branch_width(cfg.head_width, cfg.branch_width))
