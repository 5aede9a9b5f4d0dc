"""What a result depends on besides its config: library versions and the data's fingerprint.

A run's checkpoints record both when it trains (``provenance``: ``{"versions": ..., "data": ...}``);
``metrics.json`` records the ones its numbers were computed with. :func:`changes` compares the two,
so ``toonlab eval RUN`` can say that torch or the labels changed since training.

Example:
    >>> trained = {"versions": {"torch": "2.5.1"}, "data": {"labels": "ab12"}}
    >>> changes(trained, {"versions": {"torch": "2.6.0"}, "data": {"labels": "ab12"}})
    ['torch 2.5.1 -> 2.6.0']
"""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

from toonlab.version import __version__

LIBRARIES = ("torch", "torchvision", "numpy", "pillow")  # distributions whose versions change results
DATA_PARTS = {  # fingerprint key -> what changed, for the warning
    "names": "the list of image files",
    "images": "the image files' contents",
    "labels": "the labels",  # or which of them are drawn (data.visibility)
}


def library_versions() -> dict[str, str | None]:
    """toonlab's, Python's and :data:`LIBRARIES`' versions (None where not installed); imports none of them."""
    versions: dict[str, str | None] = {"toonlab": __version__, "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def current(fingerprint: dict[str, Any]) -> dict[str, Any]:
    """The provenance of a result computed now on data with this ``fingerprint``."""
    return {"versions": library_versions(), "data": fingerprint}


def changes(trained: dict[str, Any], now: dict[str, Any], *, data: bool = True) -> list[str]:
    """Short phrases for what differs between two provenances, e.g. ``'torch 2.5.1 -> 2.6.0'``.

    Only what both record is compared (an older run may lack the data or some versions); with
    ``data=False`` the data are not compared (evaluating another folder on purpose).
    """
    old, new = trained.get("versions") or {}, now.get("versions") or {}
    out = [f"{name} {old[name]} -> {new[name]}" for name in old if name in new and old[name] != new[name]]
    if data:
        out += _data_changes(trained.get("data") or {}, now.get("data") or {})
    return out


def _data_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    if not old or not new or old.get("sha256") == new.get("sha256"):
        return []
    parts = [what for key, what in DATA_PARTS.items() if key in old and key in new and old[key] != new[key]]
    if old.get("files") != new.get("files"):
        parts.insert(0, f"the number of images ({old.get('files')} -> {new.get('files')})")
    return [f"data: {', '.join(parts) or 'the fingerprint'} changed "
            f"(fingerprint {str(old.get('sha256'))[:12]} -> {str(new.get('sha256'))[:12]})"]
