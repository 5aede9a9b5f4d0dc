"""The raw-pixel MLP baseline (Niaz §2.1): flattened pixels → hidden (linear, batch norm, activation, dropout) layers.

Its hidden layers use ``model.mlp_hidden`` for widths, ``model.dense_activation`` (or the last
``model.activation``, ReLU by default) and ``model.dropout``; ``model.head_dropout`` stays the dropout
before the task heads, as for every model. The shared neck (``model.head_depth``, may be 0) and heads
come from ``MultiHeadNet``, so the paper's baseline is ``head_depth=0, mlp_hidden=[300], dropout=0.25``.
"""

from __future__ import annotations

import torch
from torch import nn

from toonlab.config import ModelConfig
from toonlab.models.blocks import dense_stack
from toonlab.models.options import dense_activation


class MLPBackbone(nn.Module):
    """Flatten ``in_channels × image_size²`` pixels → hidden dense layers → features of ``num_features``.

    Args:
        cfg: the model config (``mlp_hidden``, ``dense_activation``, ``norm_position``, ``dropout``).
        image_size: input side length; the first layer has ``in_channels * image_size**2`` inputs.
        in_channels: image channels.
    """

    def __init__(self, cfg: ModelConfig, *, image_size: int, in_channels: int = 3) -> None:
        super().__init__()
        self.hidden, self.num_features = dense_stack(
            in_channels * image_size * image_size, widths=cfg.mlp_hidden, activation=dense_activation(cfg),
            dropout=cfg.dropout, norm_position=cfg.norm_position)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W), any memory format → features (B, num_features)."""
        return self.hidden(x.reshape(x.shape[0], -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)
