"""Models: registered by name, all with the same anatomy (``forward_features`` → heads by task).

Example:
    >>> from toonlab.config import ModelConfig
    >>> from toonlab.data.samples import TaskSpec
    >>> net = create_model(ModelConfig(widths=[8, 16]), {"a": TaskSpec("a", classes=("x", "y"))}, image_size=32)
    >>> sorted(net(torch.zeros(2, 3, 32, 32)))
    ['a']
"""

from __future__ import annotations

import torch  # noqa: F401  (used by the docstring example)

from toonlab.config import ModelConfig
from toonlab.data.samples import TaskSpec
from toonlab.models.cnn import CNNBackbone
from toonlab.models.network import MultiHeadNet
from toonlab.registry import Registry

MODELS: Registry = Registry("model")


@MODELS.register("cnn")
def cnn(cfg: ModelConfig, tasks: dict[str, TaskSpec], *, image_size: int) -> MultiHeadNet:
    """The configurable CNN with a shared dense neck and one head per task."""
    backbone = CNNBackbone(cfg, image_size=image_size)
    return MultiHeadNet(backbone, tasks, neck_depth=cfg.head_depth, neck_width=cfg.head_width,
                        activation=cfg.activation, dropout=cfg.head_dropout)


def create_model(cfg: ModelConfig, tasks: dict[str, TaskSpec], *, image_size: int) -> MultiHeadNet:
    """Build the model named ``cfg.name`` for ``tasks`` at ``image_size``."""
    from toonlab.errors import ToonlabError

    try:
        builder = MODELS.get(cfg.name)
    except KeyError as e:
        raise ToonlabError(str(e).strip('"')) from None
    return builder(cfg, tasks, image_size=image_size)


def list_models() -> list[str]:
    """Names of every registered model."""
    return MODELS.names()
