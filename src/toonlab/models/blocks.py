"""Building blocks of the configurable CNN: activations, conv stages and dense layers."""

from __future__ import annotations

import torch
from torch import nn

from toonlab.registry import Registry

ACTIVATIONS: Registry = Registry("activation")
ACTIVATIONS.register("relu")(lambda: nn.ReLU(inplace=True))
ACTIVATIONS.register("leaky_relu")(lambda: nn.LeakyReLU(0.01, inplace=True))
ACTIVATIONS.register("gelu")(nn.GELU)
ACTIVATIONS.register("sigmoid")(nn.Sigmoid)
ACTIVATIONS.register("tanh")(nn.Tanh)
ACTIVATIONS.register("identity")(nn.Identity)


@ACTIVATIONS.register("bipolar_sigmoid")
class BipolarSigmoid(nn.Module):
    """2·sigmoid(x) − 1, the bipolar sigmoid of IgNet (range −1..1)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2 * torch.sigmoid(x) - 1


def make_activation(name: str) -> nn.Module:
    """An activation module by registered name."""
    return ACTIVATIONS.get(name)()


def conv_padding(padding: str | int, kernel_size: int) -> int:
    """'same' -> k//2 (exact for odd kernels at stride 1), 'valid' -> 0, or an integer."""
    if padding == "same":
        return kernel_size // 2
    if padding == "valid":
        return 0
    return int(padding)


def make_pool(kind: str, size: int) -> nn.Module | None:
    """Pooling layer after a stage, or None for 'none' / size 1."""
    if kind == "none" or size <= 1:
        return None
    return {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}[kind](size, size)


class ConvStage(nn.Sequential):
    """``convs`` × (conv → norm → activation), then pool → dropout."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        *,
        convs: int,
        kernel_size: int,
        stride: int,
        padding: str | int,
        norm: str,
        activation: str,
        pool: str,
        pool_size: int,
        dropout: float,
    ) -> None:
        layers: list[nn.Module] = []
        for i in range(convs):
            pad = conv_padding(padding, kernel_size)
            layers.append(nn.Conv2d(in_ch if i == 0 else out_ch, out_ch, kernel_size, stride if i == 0 else 1, pad, bias=norm == "none"))
            if norm == "batch":
                layers.append(nn.BatchNorm2d(out_ch))
            layers.append(make_activation(activation))
        pooling = make_pool(pool, pool_size)
        layers += [pooling] if pooling is not None else []
        layers += [nn.Dropout2d(dropout)] if dropout > 0 else []
        super().__init__(*layers)


def dense_stack(in_features: int, *, depth: int, width: int, activation: str, dropout: float) -> tuple[nn.Module, int]:
    """``depth`` × (linear → batch norm → activation → dropout); returns the stack and its output width."""
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(in_features, width), nn.BatchNorm1d(width), make_activation(activation)]
        layers += [nn.Dropout(dropout)] if dropout > 0 else []
        in_features = width
    return nn.Sequential(*layers), in_features
