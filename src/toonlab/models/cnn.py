"""The configurable CNN backbone: stages of conv/norm/activation/LRN/pool/dropout, then global pooling."""

from __future__ import annotations

import torch
from torch import nn

from toonlab.config import ModelConfig
from toonlab.errors import ToonlabError
from toonlab.models.blocks import ConvStage
from toonlab.models.options import stage_activations, stage_strides


class CNNBackbone(nn.Module):
    """Conv stages → global pool → flat feature vector of ``num_features``.

    With ``model.branch_stages=N`` and ``branches`` (the number of tasks) ≥ 2, the last N stages hold one
    branch per task side by side: the first branch conv reads the shared stem, later ones are grouped
    convs (``groups=branches``), so branch ``i`` sees only its own channels. The features are then the
    branches' pooled features one after the other (``num_features = branches × branch_features``).

    Args:
        cfg: the model config (widths, per-stage strides and activations, padding, norm, pooling...).
        image_size: input side length, needed to size the features for ``global_pool='flatten'``.
        in_channels: image channels.
        branches: tasks sharing the network; ``model.branch_stages`` applies only when it is 2 or more.
    """

    def __init__(self, cfg: ModelConfig, *, image_size: int, in_channels: int = 3, branches: int = 1) -> None:
        super().__init__()
        if not cfg.widths:
            raise ToonlabError("model.widths must list at least one stage width, e.g. [32, 64, 128]. "
                               f"Received: {cfg.widths!r}")
        strides = stage_strides(cfg, image_size)
        activations = stage_activations(cfg)
        self.branches = branches if cfg.branch_stages and branches > 1 else 0
        first_branch = len(cfg.widths) - cfg.branch_stages if self.branches else len(cfg.widths)
        self.stem_stages = first_branch  # the stages every task shares
        stages, ch = [], in_channels
        for i, (width, stride, act) in enumerate(zip(cfg.widths, strides, activations)):
            if i < first_branch:
                stages.append(ConvStage(ch, int(width), cfg, stride=stride, activation=act))
                ch = int(width)
                continue
            out = self.branches * branch_width(int(width), cfg.branch_width)
            stages.append(ConvStage(ch, out, cfg, stride=stride, activation=act, groups=self.branches,
                                    first_groups=1 if i == first_branch else self.branches))
            ch = out
        self.stages = nn.Sequential(*stages)
        self.global_pool = _global_pool(cfg.global_pool)
        self.num_features = self._count_features(in_channels, image_size)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W) → features (B, num_features)."""
        return self.global_pool(self.stages(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)

    @torch.no_grad()
    def _count_features(self, in_channels: int, image_size: int) -> int:
        was_training = self.training
        self.eval()
        try:
            out = self.forward_features(torch.zeros(1, in_channels, image_size, image_size))
        except RuntimeError as e:
            raise ToonlabError(f"The CNN shrinks a {image_size}px image to nothing; use fewer stages, "
                               f"'same' padding or a larger data.image_size. ({e})") from None
        finally:
            self.train(was_training)
        return int(out.shape[1])


def branch_width(width: int, share: float) -> int:
    """Channels (or units) of one task's branch: ``share`` of ``width``, at least 1."""
    return max(1, round(width * share))


def _global_pool(kind: str) -> nn.Module:
    pools = {"avg": nn.AdaptiveAvgPool2d(1), "max": nn.AdaptiveMaxPool2d(1), "flatten": nn.Identity()}
    if kind not in pools:
        raise ToonlabError(f"model.global_pool must be one of {', '.join(pools)}. Received: {kind!r}")
    return nn.Sequential(pools[kind], nn.Flatten())
