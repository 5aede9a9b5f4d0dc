"""The plain PyTorch script a user would write by hand, kept as the bar toonlab's defaults must clear.

Issue 19 describes it: 4 stages of two 3x3 conv + batch norm + ReLU and a 2x2 max-pool
(32-64-128-256), global average pooling, one linear head per attribute, AdamW at 2e-3 with weight
decay 1e-4, a one-cycle schedule up to 4e-3, batch 64, 64 px images with alpha composited over
white, 12 epochs, float32, no augmentation, no validation. Labels and splits are handed in, so it
runs on exactly the images toonlab trains and tests on; everything else (decoding, the network,
the loop) is its own.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F


def load_images(paths: list[str], size: int = 64) -> np.ndarray:
    """(N, 3, size, size) uint8: each image decoded with PIL, alpha over white, resized bilinearly."""
    out = np.empty((len(paths), 3, size, size), dtype=np.uint8)
    for i, path in enumerate(paths):
        with Image.open(path) as im:
            rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, rgba).convert("RGB").resize((size, size), Image.BILINEAR)
        out[i] = np.asarray(rgb).transpose(2, 0, 1)
    return out


class PlainNet(nn.Module):
    """Four stages of (conv-BN-ReLU) x 2 + max-pool, global average pool, one linear head per task."""

    def __init__(self, classes: dict[str, int], widths: tuple[int, ...] = (32, 64, 128, 256)) -> None:
        super().__init__()
        layers, cin = [], 3
        for w in widths:
            for _ in range(2):
                layers += [nn.Conv2d(cin, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
                cin = w
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.heads = nn.ModuleDict({t: nn.Linear(cin, k) for t, k in classes.items()})

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.features(x).mean((2, 3))
        return {t: head(z) for t, head in self.heads.items()}


def train_plain(images: np.ndarray, labels: np.ndarray, train_rows: np.ndarray, classes: dict[str, int], *,
                epochs: int = 12, batch: int = 64, seed: int = 0) -> PlainNet:
    """Train on ``images[train_rows]``; ``labels`` (N, T) int64 with -1 where an image has no label."""
    torch.manual_seed(seed)
    net = PlainNet(classes)
    steps = epochs * -(-len(train_rows) // batch)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=4e-3, total_steps=steps)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        net.train()
        for idx in np.array_split(rng.permutation(train_rows), steps // epochs):
            x = torch.from_numpy(images[idx]).float() / 255
            y = torch.from_numpy(labels[idx])
            out = net(x)
            loss = sum(F.cross_entropy(out[t], y[:, j], ignore_index=-1) for j, t in enumerate(classes)
                       if (y[:, j] >= 0).any())
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return net


@torch.no_grad()
def predict_plain(net: PlainNet, images: np.ndarray, rows: np.ndarray, batch: int = 256) -> dict[str, np.ndarray]:
    """Predicted class per task for ``images[rows]``."""
    net.eval()
    preds: dict[str, list[np.ndarray]] = {t: [] for t in net.heads}
    for start in range(0, len(rows), batch):
        out = net(torch.from_numpy(images[rows[start:start + batch]]).float() / 255)
        for t, logits in out.items():
            preds[t].append(logits.argmax(1).numpy())
    return {t: np.concatenate(p) if p else np.empty(0, np.int64) for t, p in preds.items()}
