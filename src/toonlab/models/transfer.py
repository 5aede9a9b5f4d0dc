"""Transfer learning: a pretrained backbone under toonlab's neck and task heads (``model.transfer``).

- ``features``: the backbone is frozen (weights and batch-norm statistics); an MLP head (the neck:
  ``head_depth`` layers of ``head_width`` with batch norm, ReLU, then ``head_dropout``) and the task
  heads train (seed 002 §2.2). Its features can be computed once per image (``feature_cache``).
- ``last_layer``: the backbone's own ImageNet classifier is kept, frozen, minus its final layer; one
  new final layer per task trains.
- ``finetune``: everything trains; the backbone at ``model.backbone_lr`` x the learning rate, and frozen
  for the first ``model.unfreeze_epochs`` epochs (gradual unfreezing: heads first).
- ``scratch``: the same architecture from random weights; everything trains.

Images arrive normalised the toonlab way (``toonlab.data.batches.MEAN/STD``); the model converts
them to the backbone's own input normalisation (mean, std) in its first step, so the data layer,
augmentation, explanations and exported models need nothing backbone-specific.
"""

from __future__ import annotations

import torch
from torch import nn

from toonlab.config import ModelConfig, choices_of
from toonlab.data.batches import MEAN, STD
from toonlab.data.samples import TaskSpec
from toonlab.models.backbones import BACKBONES, BackboneSpec
from toonlab.models.backbones.weights import load_weights, weights_path
from toonlab.models.network import MultiHeadNet

TRANSFER_MODES = choices_of("model.transfer")
FROZEN_MODES = ("features", "last_layer")


class PretrainedBackbone(nn.Module):
    """toonlab-normalised images → the backbone's normalisation → trunk (→ classifier body) → features.

    ``forward_features`` also takes already computed features (a 2-D tensor) and passes them through,
    so a frozen backbone's features can be cached and the same model trained on them.
    """

    def __init__(self, spec: BackboneSpec, mode: str, weights: str) -> None:
        super().__init__()
        net = spec.build()
        path = None if mode == "scratch" else weights_path(spec, weights)
        if path is not None:
            load_weights(net, spec, path)
        self.name, self.mode, self.weights_file = spec.name, mode, path or ""
        self.trunk = spec.trunk(net)
        self.body = spec.body(net) if mode == "last_layer" else nn.Identity()
        self.num_features = spec.body_features if mode == "last_layer" else spec.trunk_features
        scale = torch.tensor(STD) / torch.tensor(spec.std)
        self.register_buffer("in_scale", scale.view(1, 3, 1, 1))
        self.register_buffer("in_shift", ((torch.tensor(MEAN) - torch.tensor(spec.mean)) / torch.tensor(spec.std))
                             .view(1, 3, 1, 1))
        self.frozen = False
        self.freeze(mode in FROZEN_MODES)

    def freeze(self, frozen: bool = True) -> None:
        """Stop (or restart) training the backbone: no gradients, batch-norm statistics kept."""
        self.frozen = frozen
        for p in [*self.trunk.parameters(), *self.body.parameters()]:
            p.requires_grad_(not frozen)
        self.train(self.training)

    def train(self, mode: bool = True) -> PretrainedBackbone:
        super().train(mode)
        if self.frozen:
            self.trunk.eval()
            self.body.eval()
        return self

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B, 3, H, W) → features (B, num_features); features (B, F) pass through."""
        if x.dim() == 2:
            return x
        return self.body(self.trunk(x * self.in_scale + self.in_shift))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)


def pretrained_model(cfg: ModelConfig, tasks: dict[str, TaskSpec]) -> MultiHeadNet:
    """The backbone ``cfg.name`` in mode ``cfg.transfer`` with the neck and one head per task."""
    backbone = PretrainedBackbone(BACKBONES[cfg.name], cfg.transfer, cfg.weights)
    depth = 0 if cfg.transfer == "last_layer" else cfg.head_depth
    return MultiHeadNet(backbone, tasks, neck_depth=depth, neck_width=cfg.head_width, activation="relu",
                        dropout=cfg.head_dropout, norm_position=cfg.norm_position)


def param_groups(model: nn.Module, lr: float, backbone_lr: float, shared_lr: float = 1.0) -> list[dict]:
    """Optimizer groups: a pretrained backbone at ``lr * backbone_lr``, everything else at ``lr``; for toonlab's
    own multi-task networks, the layers all tasks share at ``lr * shared_lr`` (``train.shared_lr``)."""
    backbone = getattr(model, "backbone", None)
    if not isinstance(backbone, PretrainedBackbone) or backbone.mode != "finetune":
        shared = model.shared_parameters() if shared_lr != 1.0 and hasattr(model, "shared_parameters") else []
        if not shared:
            return [{"params": list(model.parameters())}]
        ids = {id(p) for p in shared}
        return [{"params": [p for p in model.parameters() if id(p) not in ids]},
                {"params": shared, "lr": lr * shared_lr}]
    inner = {id(p) for p in backbone.parameters()}
    rest = [p for p in model.parameters() if id(p) not in inner]
    return [{"params": rest}, {"params": list(backbone.parameters()), "lr": lr * backbone_lr}]
