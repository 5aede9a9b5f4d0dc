"""Frozen-backbone features computed once per image, so ``model.transfer=features`` trains only its head.

When the backbone is frozen and no augmentation changes the images, every epoch would push the
same image through the same backbone. Instead the backbone runs once over the training and
validation images (in eval mode, batched, no gradients), and the epochs iterate over the stored
feature vectors: the model's ``forward_features`` passes a 2-D feature batch straight to the neck,
so the model, its checkpoints and its evaluation stay exactly those of the full network.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import torch

from toonlab.data.batches import Batches
from toonlab.models.transfer import PretrainedBackbone
from toonlab.runtime import Runtime

log = logging.getLogger(__name__)


class FeatureBatches(Batches):
    """:class:`Batches` whose rows are read from a (N, F) float32 feature array instead of images."""

    def __init__(self, batches: Batches, features: np.ndarray) -> None:
        super().__init__(features, batches.labels, batches.indices, batch_size=batches.batch_size,
                         shuffle=batches.shuffle, seed=batches.seed, device=batches.device, channels_last=False)

    def load(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return (torch.from_numpy(self.images[rows]).to(self.device),
                torch.from_numpy(self.labels[rows]).to(self.device))


def can_cache(model: torch.nn.Module, augment_enabled: bool) -> bool:
    """True for a frozen pretrained backbone whose inputs never change (no augmentation)."""
    backbone = getattr(model, "backbone", None)
    return isinstance(backbone, PretrainedBackbone) and backbone.frozen and not augment_enabled


@torch.no_grad()
def compute_features(model: torch.nn.Module, batches: list[Batches], runtime: Runtime) -> np.ndarray:
    """Run the frozen backbone once over every row of ``batches``; returns (N, F), zeros for rows not used."""
    backbone: PretrainedBackbone = model.backbone
    first = batches[0]
    features = np.zeros((len(first.images), backbone.num_features), dtype=np.float32)
    rows = np.unique(np.concatenate([b.indices for b in batches]))
    was_training = model.training
    model.eval()
    start = time.perf_counter()
    try:
        for begin in range(0, len(rows), 128):
            chunk = rows[begin:begin + 128]
            x = first.to_tensor(first.images[chunk])
            with runtime.autocast():
                features[chunk] = backbone.forward_features(x).float().cpu().numpy()
    finally:
        model.train(was_training)
    log.info("Frozen %s features of %d images computed once in %.1fs; the epochs train the head on them.",
             backbone.name, len(rows), time.perf_counter() - start)
    return features


def feature_batches(model: torch.nn.Module, train: Batches, val: Batches, runtime: Runtime
                    ) -> tuple[FeatureBatches, FeatureBatches]:
    """Training and validation batches over features computed once."""
    features = compute_features(model, [train, val], runtime)
    return FeatureBatches(train, features), FeatureBatches(val, features)
