"""Runs a test module trains on demand, once each, sharing one image cache (a helper, not a test)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest


def trained_once(root: Path, train: Callable[[str, Path], Any]) -> Callable[[str], Any]:
    """``get(kind)``: ``train(kind, root / kind)`` the first time a kind is asked for, its result after that."""
    done: dict[str, Any] = {}

    def get(kind: str) -> Any:
        if kind not in done:
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("TOONLAB_CACHE", str(root / "cache"))
                done[kind] = train(kind, root / kind)
        return done[kind]

    return get
