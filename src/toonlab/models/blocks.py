"""Building blocks of the configurable CNN and MLP: activations, pooling, conv stages and dense layers."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from toonlab.config import ModelConfig
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


class SamePool2d(nn.Module):
    """Stride-1 pooling that keeps the spatial size: replicate-pad by ``size - 1``, then pool.

    Replicate padding leaves max pooling exact at the border; average pooling counts the edge pixel twice there.
    Even sizes pad one more pixel on the right/bottom.
    """

    def __init__(self, kind: str, size: int) -> None:
        super().__init__()
        self.kind, self.size = kind, size
        lo = (size - 1) // 2
        self.pad = (lo, size - 1 - lo, lo, size - 1 - lo)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, self.pad, mode="replicate")
        pool = F.max_pool2d if self.kind == "max" else F.avg_pool2d
        return pool(x, self.size, 1)

    def extra_repr(self) -> str:
        return f"{self.kind}, size={self.size}, stride=1"


def make_pool(kind: str, size: int, stride: int = 0) -> nn.Module | None:
    """Pooling layer after a stage, or None for 'none' / size 1; stride 0 = size, stride 1 keeps the size."""
    if kind == "none" or size <= 1:
        return None
    stride = stride or size
    if stride == 1:
        return SamePool2d(kind, size)
    return {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}[kind](size, stride)


def norm_activation(norm: nn.Module | None, activation: str, position: str) -> list[nn.Module]:
    """``[norm, activation]`` or ``[activation, norm]`` by ``position``; no norm when ``norm`` is None."""
    act = make_activation(activation)
    if norm is None:
        return [act]
    return [norm, act] if position == "before_activation" else [act, norm]


class ConvStage(nn.Sequential):
    """``convs_per_stage`` × (conv, norm and activation in ``norm_position`` order) → optional LRN → pool and
    dropout in ``dropout_position`` order.

    Convs have a bias only without batch norm (the norm's shift replaces it).

    Args:
        in_ch, out_ch: input and output channels.
        cfg: the model config (kernel size, padding, norm, pooling, LRN, dropout and their positions).
        stride: stride of the stage's first conv.
        activation: activation name of this stage.
        groups: conv groups (task branches side by side); ``first_groups`` for the first conv (default ``groups``),
            1 where a shared stem fans out into the branches. There, ``model.branch_fanout='pointwise'`` puts a
            1×1 conv (with its norm and activation) in front and makes the first conv grouped too.
    """

    def __init__(self, in_ch: int, out_ch: int, cfg: ModelConfig, *, stride: int, activation: str,
                 groups: int = 1, first_groups: int | None = None) -> None:
        layers: list[nn.Module] = []
        pad = conv_padding(cfg.padding, cfg.kernel_size)
        if first_groups == 1 and groups > 1 and cfg.branch_fanout == "pointwise":
            layers.append(nn.Conv2d(in_ch, out_ch, 1, bias=cfg.norm == "none"))
            layers += norm_activation(nn.BatchNorm2d(out_ch) if cfg.norm == "batch" else None, activation,
                                      cfg.norm_position)
            in_ch, first_groups = out_ch, groups
        for i in range(cfg.convs_per_stage):
            g = (groups if first_groups is None else first_groups) if i == 0 else groups
            layers.append(nn.Conv2d(in_ch if i == 0 else out_ch, out_ch, cfg.kernel_size, stride if i == 0 else 1,
                                    pad, bias=cfg.norm == "none", groups=g))
            norm = nn.BatchNorm2d(out_ch) if cfg.norm == "batch" else None
            layers += norm_activation(norm, activation, cfg.norm_position)
        layers += [nn.LocalResponseNorm(cfg.lrn_size)] if cfg.lrn_size > 0 else []
        pooling = make_pool(cfg.pool, cfg.pool_size, cfg.pool_stride)
        pool = [pooling] if pooling is not None else []
        drop = [nn.Dropout2d(cfg.dropout)] if cfg.dropout > 0 else []
        layers += drop + pool if cfg.dropout_position == "before_pool" else pool + drop
        super().__init__(*layers)


class GroupedLinear(nn.Linear):
    """``groups`` independent linear maps side by side: group ``g`` of the output reads only group ``g`` of the input.

    Input ``(B, groups × in_features_per_group)`` → output ``(B, groups × out_per_group)``, as one batched
    matmul instead of ``groups`` small ones. The weight is ``(groups × out_per_group, in_per_group)``, group after
    group, so it initialises like each group's own ``nn.Linear`` (same fan-in), and weight-wise regularisers
    (DropConnect, FreezeConnect, uniform init) treat it as any linear layer. ``in_features`` and
    ``out_features`` are the whole input and output widths.
    """

    def __init__(self, in_per_group: int, out_per_group: int, groups: int, bias: bool = True) -> None:
        super().__init__(in_per_group, groups * out_per_group, bias=bias)
        self.groups, self.in_features = groups, groups * in_per_group

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.groups
        xs = x.unflatten(1, (g, -1)).transpose(0, 1)  # (G, B, in)
        w = self.weight.unflatten(0, (g, -1)).transpose(1, 2)  # (G, in, out)
        y = torch.bmm(xs, w) if self.bias is None else torch.baddbmm(self.bias.unflatten(0, (g, 1, -1)), xs, w)
        return y.transpose(0, 1).flatten(1)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, groups={self.groups}"


def dense_stack(
    in_features: int, *, widths: Sequence[int], activation: str, dropout: float,
    norm_position: str = "before_activation", groups: int = 1,
) -> tuple[nn.Module, int]:
    """One (linear, batch norm and activation in ``norm_position`` order, dropout) per width.

    With ``groups`` > 1 the stack is ``groups`` stacks side by side (:class:`GroupedLinear`, batch norm per
    unit), each reading its own ``in_features / groups`` inputs, and ``widths`` are per group.

    Returns:
        The stack and its output width (per group; ``in_features / groups`` when ``widths`` is empty).
    """
    layers: list[nn.Module] = []
    in_features //= groups
    for width in widths:
        width = int(width)
        layers.append(nn.Linear(in_features, width) if groups == 1 else GroupedLinear(in_features, width, groups))
        layers += norm_activation(nn.BatchNorm1d(groups * width), activation, norm_position)
        layers += [nn.Dropout(dropout)] if dropout > 0 else []
        in_features = width
    return nn.Sequential(*layers), in_features
