"""Batches straight from the uint8 image cache: index, convert to float, normalise, on the fly.

A cache row is (H, W, C) uint8, so a batch gathered from it and viewed as (B, C, H, W)
is already channels-last in memory: no copy is needed for the channels-last fast path.
Data order is a pure function of (seed, epoch), so a resumed run sees the same batches.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

# Mean/std of 0..1 RGB used to centre inputs; cartoons are mostly light, so 0.5/0.25 is close enough
# and keeps toonlab's preprocessing the same for every data set (recorded in the checkpoint).
MEAN = (0.5, 0.5, 0.5)
STD = (0.25, 0.25, 0.25)


class Batches:
    """Iterate ``(images, labels)`` over ``indices`` of a cached image array.

    Args:
        images: (N, H, W, 3) uint8 array (usually a memmap).
        labels: (N, T) int64 array, one column per task; -1 means "no label".
        indices: rows to use.
        batch_size: images per batch.
        shuffle: reshuffle every epoch (training) or keep order (evaluation). When shuffling, a last
            batch of a single image is left out (batch norm cannot train on one image); the order
            changes every epoch, so no image is always the one left out.
        seed: base seed of the shuffle; epoch ``e`` uses ``(seed, e)``.
        device: where batches go.
        channels_last: return channels-last tensors (else contiguous NCHW).

    Example:
        >>> imgs = np.zeros((10, 8, 8, 3), np.uint8); y = np.zeros((10, 1), np.int64)
        >>> b = Batches(imgs, y, np.arange(10), batch_size=4)
        >>> [x.shape[0] for x, _ in b]
        [4, 4, 2]
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        indices: np.ndarray,
        *,
        batch_size: int,
        shuffle: bool = False,
        seed: int = 0,
        device: torch.device | str = "cpu",
        channels_last: bool = True,
    ) -> None:
        self.images, self.labels = images, labels
        self.indices = np.asarray(indices, dtype=np.int64)
        self.batch_size, self.shuffle, self.seed = batch_size, shuffle, seed
        self.device, self.channels_last = torch.device(device), channels_last
        self.epoch = 0
        self._mean = torch.tensor(MEAN, device=self.device).view(1, 3, 1, 1) * 255
        self._std = torch.tensor(STD, device=self.device).view(1, 3, 1, 1) * 255

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose shuffle order the next iteration uses."""
        self.epoch = epoch

    def order(self) -> np.ndarray:
        """Row indices in the order this epoch visits them."""
        if not self.shuffle:
            return self.indices
        rng = np.random.default_rng([self.seed, self.epoch])
        return self.indices[rng.permutation(len(self.indices))]

    def __len__(self) -> int:
        return -(-self.used() // self.batch_size)

    def used(self) -> int:
        """Images per pass: all, minus a last single-image batch when shuffling."""
        n = len(self.indices)
        return n - 1 if self.shuffle and n > 1 and n % self.batch_size == 1 else n

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for rows in self.rows():
            yield self.load(rows)

    def rows(self) -> Iterator[np.ndarray]:
        """Each batch's row indices, in this epoch's order (sorted within a batch: kinder to a memmap)."""
        order = self.order()[: self.used()]
        for start in range(0, len(order), self.batch_size):
            yield np.sort(order[start : start + self.batch_size])

    def load(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """``(images, labels)`` of ``rows`` on the device."""
        return self.to_tensor(self.images[rows]), torch.from_numpy(self.labels[rows]).to(self.device)

    def to_tensor(self, batch: np.ndarray) -> torch.Tensor:
        """(B, H, W, 3) uint8 -> normalised float (B, 3, H, W)."""
        x = torch.from_numpy(np.ascontiguousarray(batch)).to(self.device, non_blocking=True)
        x = x.permute(0, 3, 1, 2).float()  # keeps the NHWC strides: channels-last for free
        x = x.sub_(self._mean).div_(self._std)
        return x if self.channels_last else x.contiguous()
