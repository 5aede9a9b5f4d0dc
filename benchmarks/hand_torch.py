"""A minimal hand-written PyTorch training step with the best settings, for ``train_throughput.py``.

What someone tuning a plain loop by hand would write: the network as one ``nn.Sequential`` (the same
layers as toonlab's ``cnn`` model, see :class:`keras_cnn.Arch`) whose last ``Linear`` holds every task's
logits side by side; bf16 autocast and channels-last when asked; fused AdamW; ``zero_grad(set_to_none=True)``;
the uint8 → float conversion of toonlab (NHWC bytes viewed as NCHW, so channels-last for free, then
``(x - mean) / std``). No checks, no metrics, no schedule.
"""

from __future__ import annotations

import contextlib
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from keras_cnn import Arch


def network(arch: Arch, classes: dict[str, int]) -> nn.Sequential:
    """The plain-PyTorch twin of toonlab's CNN for ``arch``: trunk, neck and one Linear for all heads."""
    layers: list[nn.Module] = []
    ch = 3
    for width, stride in zip(arch.widths, arch.strides):
        for i in range(arch.convs_per_stage):
            layers += [nn.Conv2d(ch, width, 3, stride if i == 0 else 1, 1, bias=False), nn.BatchNorm2d(width),
                       nn.ReLU(inplace=True)]
            ch = width
        layers.append(nn.MaxPool2d(2))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(ch, arch.head_width), nn.BatchNorm1d(arch.head_width),
               nn.ReLU(inplace=True), nn.Dropout(arch.head_dropout), nn.Linear(arch.head_width, sum(classes.values()))]
    return nn.Sequential(*layers)


def to_float(images: np.ndarray, arch: Arch, channels_last: bool) -> torch.Tensor:
    """(B, H, W, 3) uint8 → normalised float (B, 3, H, W), channels-last strides unless told otherwise."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().sub_(arch.mean).div_(arch.std)
    return x if channels_last else x.contiguous()


def hand_step(model: nn.Module, arch: Arch, classes: dict[str, int], *, bf16: bool, channels_last: bool, lr: float,
              weight_decay: float, smoothing: float) -> Callable[[np.ndarray, np.ndarray], None]:
    """``step(images, labels)``: one training step of ``model`` on uint8 images and (B, tasks) float labels.

    ``model`` returns either one tensor of all tasks' logits side by side (:func:`network`) or toonlab's
    ``{task: logits}``; both are trained the same way.
    """
    model = model.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, fused=True)
    sizes = list(classes.values())
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext

    def step(images: np.ndarray, labels: np.ndarray) -> None:
        x, y = to_float(images, arch, channels_last), torch.from_numpy(labels).long()
        with autocast():
            out = model(x)
        logits = out.values() if isinstance(out, dict) else out.split(sizes, dim=1)
        loss = sum(F.cross_entropy(z.float(), y[:, j], label_smoothing=smoothing) for j, z in enumerate(logits))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step
