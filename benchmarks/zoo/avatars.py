"""DiceBear avatar sets: tasks read from a style's option schema, seeded sampling, CartoonSet files.

A style's schema (``node render.mjs schema STYLE``) lists its options. An option whose items are an
``enum`` is a part (eyes, mouth, hair ...) and its variants are the option's default list; an option
whose items have a colour ``pattern`` is a colour and its palette is the default list; ``xProbability``
makes part ``x`` optional. Each option with two or more values is a task named in snake_case. Every
image gets every option as a one-element list, so DiceBear draws exactly the sampled label.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from typing import Any

PRESENCE = 0.7  # chance that an optional part is drawn (unless the style always draws it)
PROBES = 2  # other values tried per task when the visibility table is computed
_PROBABILITY = "Probability"


@dataclass(frozen=True)
class Option:
    """One style option the builder sets on every image.

    Attributes:
        key: the DiceBear option name (``hairColor``).
        values: the variants or colours, in the style's own order; a label is an index into it.
        presence: for an optional part, the chance it is drawn; None for parts always drawn and colours.
    """

    key: str
    values: tuple[str, ...]
    presence: float | None = None

    @property
    def task(self) -> str:
        """The task name: the option in snake_case (``hairColor`` -> ``hair_color``)."""
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", self.key).lower()

    @property
    def is_task(self) -> bool:
        """Whether the option is a task: one value is no task (it is still set on every image)."""
        return len(self.values) > 1


def style_options(properties: dict[str, Any]) -> list[Option]:
    """The part and colour options of a style's schema ``properties``, in schema order.

    Raises:
        ValueError: an option lists no values, or an ``xProbability`` names no part ``x``.
    """
    options = []
    for key, spec in properties.items():
        items = spec.get("items", {})
        if key.endswith(_PROBABILITY) or not ("enum" in items or "pattern" in items):
            continue
        values = tuple(spec.get("default") or items.get("enum") or ())
        if not values:
            raise ValueError(f"option {key!r} lists no values (no default and no enum). Received: {spec!r}")
        options.append(Option(key, values, _presence(properties, key)))
    unknown = [k for k in properties if k.endswith(_PROBABILITY) and k[: -len(_PROBABILITY)] not in properties]
    if unknown:
        raise ValueError(f"presence options without a part: {', '.join(unknown)}. Received: {sorted(properties)}")
    return options


def _presence(properties: dict[str, Any], key: str) -> float | None:
    """PRESENCE for an optional part, or None when the style draws it always (or it has no such option)."""
    spec = properties.get(key + _PROBABILITY)
    if spec is None or spec.get("default", 100) >= 100:
        return None
    return PRESENCE


def sample(options: list[Option], rng: random.Random) -> tuple[dict[str, Any], dict[str, int]]:
    """One image's DiceBear options and its labels ``{task: index}``.

    The variant of an optional part is drawn whether or not the part is, so it is labelled either
    way; the visibility table says when it is not drawn.
    """
    chosen: dict[str, Any] = {}
    labels: dict[str, int] = {}
    for option in options:
        index = rng.randrange(len(option.values))
        chosen[option.key] = [option.values[index]]
        if option.presence is not None:
            chosen[option.key + _PROBABILITY] = 100 if rng.random() < option.presence else 0
        if option.is_task:
            labels[option.task] = index
    return chosen, labels


def probes(options: list[Option], labels: dict[str, int]) -> list[list[Any]]:
    """``[task, key, [value]]`` re-renders for the visibility table: the next PROBES values of each task."""
    out = []
    for option in options:
        if option.is_task:
            index = labels[option.task]
            for step in range(1, min(PROBES, len(option.values) - 1) + 1):
                out.append([option.task, option.key, [option.values[(index + step) % len(option.values)]]])
    return out


def image_name(style: str, chosen: dict[str, Any]) -> str:
    """A stable file stem from the drawn configuration, like CartoonSet's ``csX`` names."""
    digest = hashlib.sha1(json.dumps([style, chosen], sort_keys=True).encode()).hexdigest()
    return "db" + digest[:16]


def sidecar(options: list[Option], labels: dict[str, int]) -> str:
    """The CartoonSet sidecar text: one ``"task", index, count`` line per task."""
    return "".join(f'"{o.task}", {labels[o.task]}, {len(o.values)}\n' for o in options if o.is_task)
