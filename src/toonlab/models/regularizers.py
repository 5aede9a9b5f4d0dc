"""Suspending weights and biases from learning (Mackarov, IgNet §5.5): DropConnect, FreezeConnect, frozen biases.

Both connect regularizers are ``torch.nn.utils.parametrize`` parametrizations of a layer's ``weight``:
the stored parameter becomes ``<layer>.parametrizations.weight.original`` and ``layer.weight`` is
computed from it on every access, so they work with any optimizer, channels-last, autocast and
``state_dict`` round trips (into a model built from the same config).

* DropConnect (rate p): in training each forward uses ``weight * mask / (1 − p)`` with a fresh
  Bernoulli(1 − p) mask, i.e. inverted scaling like ``nn.Dropout``, so eval uses the full weights
  unscaled and the expected training weight equals the eval weight.
* FreezeConnect (rate p): at build, exactly ``round(p · numel)`` entries of each weight are picked
  with torch's global RNG; their values are kept in a ``frozen`` buffer and the layer uses
  ``where(mask, frozen, original)``. The frozen entries take part in the forward pass but no
  gradient reaches them, and since they are a buffer no optimizer (momentum, Adam, weight decay)
  can move them: a gradient hook alone would not stop weight decay or momentum.

Example:
    >>> layer = nn.Linear(4, 3)
    >>> apply_connect([layer], dropconnect=0.5, freezeconnect=0.25)
    >>> sorted(k for k in layer.state_dict())
    ['bias', 'parametrizations.weight.0.frozen', 'parametrizations.weight.0.mask', 'parametrizations.weight.original']
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch import nn
from torch.nn.utils import parametrize

from toonlab.errors import ToonlabError

CONNECT_LAYERS = {"conv": (nn.Conv2d,), "dense": (nn.Linear,), "all": (nn.Conv2d, nn.Linear)}


class DropConnect(nn.Module):
    """Zero a fresh random fraction ``rate`` of the weights at each training forward, scaling by 1/(1 − rate)."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ToonlabError(f"model.dropconnect must be a rate in [0, 1). Received: {rate!r}")
        self.rate = float(rate)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0.0:
            return weight
        keep = torch.empty_like(weight).bernoulli_(1.0 - self.rate)
        return weight * keep / (1.0 - self.rate)

    def right_inverse(self, weight: torch.Tensor) -> torch.Tensor:
        """Assigning ``layer.weight = w`` stores ``w`` as the full (undropped) weight."""
        return weight

    def extra_repr(self) -> str:
        return f"rate={self.rate}"


class FreezeConnect(nn.Module):
    """Hold a fixed random fraction ``rate`` of ``weight`` at its current values, out of reach of any update.

    Args:
        weight: the weight to freeze part of (its current values are the frozen ones).
        rate: fraction of entries frozen, drawn once with torch's global RNG.
    """

    def __init__(self, weight: torch.Tensor, rate: float) -> None:
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ToonlabError(f"model.freezeconnect must be a rate in [0, 1). Received: {rate!r}")
        mask = torch.zeros(weight.numel(), dtype=torch.bool, device=weight.device)
        mask[torch.randperm(weight.numel())[: round(rate * weight.numel())].to(weight.device)] = True
        self.register_buffer("mask", mask.reshape(weight.shape))
        self.register_buffer("frozen", weight.detach().clone())
        self.rate = float(rate)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return torch.where(self.mask, self.frozen, weight)

    @torch.no_grad()
    def right_inverse(self, weight: torch.Tensor) -> torch.Tensor:
        """Assigning ``layer.weight = w`` (e.g. a re-initialisation) also sets the frozen values to ``w``'s."""
        self.frozen.copy_(weight)
        return weight

    def extra_repr(self) -> str:
        return f"rate={self.rate}"


def connect_targets(model: nn.Module, where: str) -> list[nn.Module]:
    """The layers ``model.connect_layers`` selects: 'conv' (Conv2d), 'dense' (Linear, heads included) or 'all'."""
    if where not in CONNECT_LAYERS:
        raise ToonlabError(f"model.connect_layers must be one of {', '.join(map(repr, CONNECT_LAYERS))}. "
                           f"Received: {where!r}")
    return [m for m in model.modules() if isinstance(m, CONNECT_LAYERS[where])]


def apply_connect(layers: Iterable[nn.Module], *, dropconnect: float = 0.0, freezeconnect: float = 0.0) -> None:
    """Parametrize each layer's ``weight`` with FreezeConnect, then DropConnect (rates of 0 add nothing).

    DropConnect goes last, so it drops from the effective (partly frozen) weight.

    Args:
        layers: modules with a ``weight`` (e.g. from ``connect_targets``).
        dropconnect: DropConnect rate.
        freezeconnect: FreezeConnect rate.
    """
    for layer in list(layers):
        if freezeconnect > 0:
            parametrize.register_parametrization(layer, "weight", FreezeConnect(layer.weight, freezeconnect))
        if dropconnect > 0:
            parametrize.register_parametrization(layer, "weight", DropConnect(dropconnect))


def freeze_biases(model: nn.Module) -> None:
    """IgNet's no-bias learning: every conv and linear bias keeps its initial value (``requires_grad=False``).

    Batch-norm shifts stay trainable; convs followed by batch norm have no bias at all.
    """
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)) and module.bias is not None:
            module.bias.requires_grad_(False)
