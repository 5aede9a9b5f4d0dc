"""The emoji set: the same emoji drawn by several vendors (Iconify JSON sets from npm).

An emoji qualifies when every vendor draws it; its category is its Emojibase group. Skin-tone
variants (Emojibase lists them under their base emoji) and the ``component`` group are left out,
and so is a category with fewer than MIN_PER_CATEGORY qualifying emoji (too few groups to split).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VENDORS = ("noto", "twemoji", "openmoji", "fluent-emoji-flat")
MIN_PER_CATEGORY = 20
_SKIPPED_GROUPS = {"component"}


@dataclass(frozen=True)
class Emoji:
    """One emoji every vendor draws: ``key`` (codepoints, e.g. ``1f600``), its category, each vendor's icon."""

    key: str
    category: str
    icons: dict[str, str]


def codepoints(hexcode: str) -> str:
    """Lower-case codepoints joined by ``-`` without the FE0F selector, as Iconify's chars.json keys them."""
    return "-".join(p for p in hexcode.lower().split("-") if p != "fe0f")


def load_sources(node_modules: Path) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, dict[str, Any]]]:
    """Emojibase's English data, its group names, and each vendor's ``{info, chars}`` from node_modules."""
    base = node_modules / "emojibase-data"
    data = json.loads((base / "en" / "data.json").read_text(encoding="utf-8"))
    groups = json.loads((base / "meta" / "groups.json").read_text(encoding="utf-8"))["groups"]
    vendors = {}
    for vendor in VENDORS:
        folder = node_modules / "@iconify-json" / vendor
        vendors[vendor] = {name: json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
                           for name in ("info", "chars")}
    return data, groups, vendors


def common_emoji(data: list[dict[str, Any]], groups: dict[str, str],
                 chars: dict[str, dict[str, str]]) -> list[Emoji]:
    """The emoji every vendor in ``chars`` ({vendor: {codepoints: icon}}) draws, in Emojibase order."""
    found = []
    for entry in data:
        category = groups.get(str(entry.get("group")), "")
        key = codepoints(entry["hexcode"])
        icons = {vendor: table.get(key) for vendor, table in chars.items()}
        if category and category not in _SKIPPED_GROUPS and all(icons.values()):
            found.append(Emoji(key, category, icons))
    sizes = {c: sum(e.category == c for e in found) for c in {e.category for e in found}}
    return [e for e in found if sizes[e.category] >= MIN_PER_CATEGORY]


def shuffled(candidates: list[Emoji], rng: random.Random) -> list[Emoji]:
    """The candidates in an order drawn with ``rng``; the set takes them from the front."""
    return rng.sample(candidates, len(candidates))


def jobs(emoji: list[Emoji], out: Path, size: int) -> list[dict[str, Any]]:
    """One render job per emoji and vendor, writing ``out/VENDOR/KEY.png``."""
    return [{"set": vendor, "icon": icon, "png": str(out / vendor / f"{e.key}.png"), "size": size}
            for e in emoji for vendor, icon in e.icons.items()]


def rendered(emoji: list[Emoji], answers: list[dict[str, Any]]) -> tuple[list[Emoji], list[str]]:
    """The emoji every vendor's job rendered, and ``KEY (VENDOR): error`` for each job that failed."""
    ok, failed, at = [], [], 0
    for e in emoji:
        errors = [f"{e.key} ({vendor}): {a['error']}" for vendor, a in zip(e.icons, answers[at:]) if "error" in a]
        at += len(e.icons)
        failed += errors
        if not errors:
            ok.append(e)
    return ok, failed


def rows(emoji: list[Emoji]) -> list[list[str]]:
    """The manifest rows ``file,vendor,category,emoji`` (header first), sorted by emoji then vendor order."""
    body = [[f"{vendor}/{e.key}.png", vendor, e.category, e.key]
            for e in sorted(emoji, key=lambda e: e.key) for vendor in e.icons]
    return [["file", "vendor", "category", "emoji"], *body]
