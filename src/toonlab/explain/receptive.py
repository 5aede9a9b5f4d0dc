"""Receptive fields of a CNN's conv and pooling layers, by arithmetic alone (seed 002 §1.1).

Seed 002 adds kernels: two stride-1 convs of sizes f1 and f2 see ``f1 + f2 - 1`` input pixels. With
strides, padding and dilation the standard recurrences (per axis, from the input with r = j = 1,
start = 0) generalise that:

    k_eff = d·(k − 1) + 1                      effective kernel of a dilated layer
    n_out = ⌊(n_in + p_left + p_right − k_eff) / s⌋ + 1
    j_out = j_in · s                           jump: input pixels between neighbouring outputs
    r_out = r_in + (k_eff − 1) · j_in          receptive field size
    start_out = start_in − p_left · j_in       input pixel where the first output's field begins

``start`` is negative when padding makes the field reach past the image border. Global pooling counts as
one pooling window over the whole map. Layers are read from the built model's modules in registration
order, which is forward order for every toonlab model; no forward pass is run.

Example:
    >>> from toonlab.config import ModelConfig
    >>> cfg = ModelConfig(widths=[8, 16], kernel_size=3, padding="valid", pool="max", pool_size=2)
    >>> [(row["name"], row["rf"]) for row in receptive_fields(cfg, 32)]
    [('backbone.stages.0.0', 3), ('backbone.stages.0.3', 4), ('backbone.stages.1.0', 8), ('backbone.stages.1.3', 10), ('backbone.global_pool.0', 30)]
"""

from __future__ import annotations

import math

import torch
from torch import nn

from toonlab.config import ModelConfig
from toonlab.errors import ToonlabError
from toonlab.models import MODELS
from toonlab.models.blocks import SamePool2d

POOLS = (nn.MaxPool2d, nn.AvgPool2d)
GLOBAL_POOLS = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def receptive_fields(model_or_cfg: nn.Module | ModelConfig, image_size: int) -> list[dict]:
    """Per conv/pool layer, in forward order: geometry and receptive field in input pixels.

    Args:
        model_or_cfg: a built model, or a ``ModelConfig`` (built without heads; torch's RNG is left as it was).
        image_size: square input side in pixels.

    Returns:
        One dict per layer with ``name`` (qualified module name), ``type``, ``kernel``, ``stride``,
        ``padding`` (left/top), ``dilation``, ``size`` (output side), ``jump``, ``rf`` (receptive field
        side), ``start`` (first output's field starts at this input pixel) and ``center``.

    Raises:
        ToonlabError: a layer would shrink the map to nothing at this ``image_size``.

    Example:
        >>> net = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1), nn.MaxPool2d(2))
        >>> [(r["size"], r["jump"], r["rf"], r["start"]) for r in receptive_fields(net, 16)]
        [(8, 2, 3, -1), (4, 4, 5, -1)]
    """
    model = _shape_model(model_or_cfg, image_size) if isinstance(model_or_cfg, ModelConfig) else model_or_cfg
    rows, size, jump, rf, start = [], int(image_size), 1, 1, 0.0
    for name, module in model.named_modules():
        geometry = _geometry(module, size)
        if geometry is None:
            continue
        k, s, pad_lo, pad_hi, d = geometry
        k_eff = d * (k - 1) + 1
        out = (size + pad_lo + pad_hi - k_eff) // s + 1
        if out < 1:
            raise ToonlabError(f"Layer {name!r} ({type(module).__name__}, kernel {k}, stride {s}) gets a "
                               f"{size}px map and leaves nothing; use a larger image_size or fewer stages. "
                               f"Received: image_size={image_size}")
        rf, start = rf + (k_eff - 1) * jump, start - pad_lo * jump
        jump, size = jump * s, out
        rows.append({"name": name, "type": type(module).__name__, "kernel": k, "stride": s, "padding": pad_lo,
                     "dilation": d, "size": size, "jump": jump, "rf": rf, "start": _int(start),
                     "center": _int(start + (rf - 1) / 2)})
    return rows


def _geometry(module: nn.Module, size: int) -> tuple[int, int, int, int, int] | None:
    """(kernel, stride, padding left, padding right, dilation) along one axis, or None if not a conv/pool."""
    if isinstance(module, nn.Conv2d):
        if isinstance(module.padding, str):  # padding='same' / 'valid' given by name to torch
            total = 0 if module.padding == "valid" else module.dilation[0] * (module.kernel_size[0] - 1)
            return module.kernel_size[0], module.stride[0], total // 2, total - total // 2, module.dilation[0]
        p = module.padding[0]
        return module.kernel_size[0], module.stride[0], p, p, module.dilation[0]
    if isinstance(module, POOLS):
        k, s, p = (_first(v) for v in (module.kernel_size, module.stride or module.kernel_size, module.padding))
        d = _first(getattr(module, "dilation", 1))
        extra = _ceil_extra(size, k, s, p, d) if getattr(module, "ceil_mode", False) else 0
        return k, s, p, p + extra, d
    if isinstance(module, SamePool2d):
        return module.size, 1, module.pad[0], module.pad[1], 1
    if isinstance(module, GLOBAL_POOLS):
        out = _first(module.output_size) or size
        s = max(size // out, 1)
        return size - (out - 1) * s, s, 0, 0, 1
    return None


def _ceil_extra(size: int, k: int, s: int, p: int, d: int) -> int:
    """Right padding that makes floor division give ``ceil_mode``'s extra output, if any."""
    span = size + 2 * p - d * (k - 1) - 1
    out = math.ceil(span / s) + 1
    if (out - 1) * s >= size + p:  # torch drops a last window that starts in the right padding
        out -= 1
    return max((out - 1) * s - span, 0)


def _shape_model(cfg: ModelConfig, image_size: int) -> nn.Module:
    """The model without heads; its random draws do not move torch's RNG (the meta device would avoid the
    draws, but its first use costs seconds)."""
    with torch.random.fork_rng(devices=[]):
        return MODELS.get(cfg.name)(cfg, {}, image_size=image_size)


def _first(value: int | tuple | None) -> int | None:
    return value[0] if isinstance(value, (tuple, list)) else value


def _int(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
