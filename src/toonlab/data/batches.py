"""Batches straight from the uint8 image cache: index, convert to float, normalise, on the fly.

:func:`pixels_to_tensor` (and :func:`normalise` below it) is the one place uint8 images become network
inputs: training batches, evaluation, predictions, explanations and robustness all go through it.

A cache row is (H, W, C) uint8, so a batch gathered from it and viewed as (B, C, H, W)
is already channels-last in memory: no copy is needed for the channels-last fast path.
Data order is a pure function of (seed, epoch), so a resumed run sees the same batches.
"""

from __future__ import annotations

import functools
from typing import Iterator, Sequence

import numpy as np
import torch

# Mean/std of 0..1 RGB used to centre inputs; cartoons are mostly light, so 0.5/0.25 is close enough
# and keeps toonlab's preprocessing the same for every data set (recorded in the checkpoint).
MEAN = (0.5, 0.5, 0.5)
STD = (0.25, 0.25, 0.25)


def pixels_to_tensor(pixels: np.ndarray, device: torch.device | str = "cpu", mean: Sequence[float] = MEAN,
                     std: Sequence[float] = STD, *, channels_last: bool = True) -> torch.Tensor:
    """``(B, H, W, 3)`` uint8 pixels -> normalised float ``(B, 3, H, W)`` on ``device``.

    Example:
        >>> pixels_to_tensor(np.full((1, 2, 2, 3), 255, np.uint8))[0, :, 0, 0].tolist()
        [2.0, 2.0, 2.0]
    """
    x = torch.from_numpy(np.ascontiguousarray(pixels)).to(device, non_blocking=True)
    return normalise(x.permute(0, 3, 1, 2), mean, std, channels_last=channels_last)  # NHWC strides: channels-last


def normalise(x: torch.Tensor, mean: Sequence[float] = MEAN, std: Sequence[float] = STD, *,
              channels_last: bool = True) -> torch.Tensor:
    """uint8 ``(B, 3, H, W)`` -> float ``(pixel - 255 * mean) / (255 * std)``, channels-last or contiguous NCHW."""
    if len(set(mean)) == 1 and len(set(std)) == 1:  # one value for all channels (the default): scalar operands
        x = x.float().sub_(255 * mean[0]).div_(255 * std[0])  # run about 3x faster than a broadcast (1, C, 1, 1)
    else:
        m, s = _scales(tuple(mean), tuple(std), x.device)
        x = x.float().sub_(m).div_(s)
    return x.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


@functools.lru_cache(maxsize=16)
def _scales(mean: tuple[float, ...], std: tuple[float, ...], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """``255 * mean`` and ``255 * std`` as (1, C, 1, 1) tensors on ``device``, made once (not per batch)."""
    return (torch.tensor(mean, device=device).view(1, -1, 1, 1) * 255,
            torch.tensor(std, device=device).view(1, -1, 1, 1) * 255)


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
        """(B, H, W, 3) uint8 -> normalised float (B, 3, H, W) (see :func:`pixels_to_tensor`)."""
        return pixels_to_tensor(batch, self.device, channels_last=self.channels_last)
