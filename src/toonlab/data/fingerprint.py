"""A data fingerprint: a few hashes that change when the images, the file list or the labels change.

It costs almost nothing: the image part is the image cache's key (:func:`toonlab.data.cache.cache_key`,
already computed while loading: a hash of every file's bytes, the image size and background), and
the rest hashes the used files' names and the label matrix. Training stores it in every checkpoint
and ``metrics.json``; evaluation compares it with the one it computes (:mod:`toonlab.provenance`).

Example:
    >>> fp = data_fingerprint(prepared)  # doctest: +SKIP
    >>> sorted(fp)  # doctest: +SKIP
    ['files', 'images', 'labels', 'names', 'sha256']
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from toonlab.data.dataset import PreparedData

SHORT = 16  # hex digits kept per part: plenty to tell two versions of a data set apart


def data_fingerprint(data: PreparedData) -> dict[str, Any]:
    """``{"sha256", "files", "names", "images", "labels"}`` of the images ``data`` uses (every split).

    ``images`` is empty when ``data`` was not loaded through the cache (then only names and labels count).
    """
    parts = {"names": _hash("\n".join(data.rel_paths).encode()),
             "images": data.cache_key[:SHORT],
             "labels": _labels_hash(data)}
    overall = hashlib.sha256("|".join(f"{k}={v}" for k, v in parts.items()).encode()).hexdigest()
    return {"sha256": overall, "files": len(data.rel_paths), **parts}


def _labels_hash(data: PreparedData) -> str:
    """The tasks (name, kind, class names) and every image's labels and drawn/not-drawn flags."""
    h = hashlib.sha256()
    for spec in data.tasks.values():
        h.update(f"{spec.name}|{spec.kind}|{'|'.join(spec.classes)}\n".encode())
    labels = np.asarray(data.labels, dtype=np.float32)
    missing = np.isnan(labels)  # NaN bit patterns may differ; hash where they are, not what they hold
    h.update(missing.tobytes())
    h.update(np.where(missing, np.float32(0), labels).tobytes())
    h.update(np.ascontiguousarray(data.hidden, dtype=bool).tobytes())
    return h.hexdigest()[:SHORT]


def _hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:SHORT]
