"""Each config field on its own: its type (checked when it is set), its choices (a ``typing.Literal`` in its
annotation) and its numeric bounds (``ge``/``gt``/``le``/``lt`` in its metadata, see ``toonlab.config._f``).

The section dataclasses are read through their annotations, so this module imports no config class.

Example:
    >>> from typing import Literal
    >>> coerce("1e-3", float, "train.lr", "override")
    0.001
    >>> type_text(Literal["a", "b"] | list[int], {"ge": 1})
    "'a' | 'b' | list of int >= 1"
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import operator
import types
import typing
from typing import Any, Literal, get_args, get_origin

from toonlab.errors import ConfigError

BOUNDS = {"ge": (operator.ge, ">="), "gt": (operator.gt, ">"), "le": (operator.le, "<="), "lt": (operator.lt, "<")}


@functools.cache
def hints(cls: type) -> dict[str, Any]:
    """The evaluated annotations of a config dataclass (``Literal[...]``, ``float | list`` ...)."""
    return typing.get_type_hints(cls)


def alternatives(tp: Any) -> list[Any]:
    """The members of a union annotation, else ``[tp]``."""
    return list(get_args(tp)) if get_origin(tp) in (typing.Union, types.UnionType) else [tp]


def choices(tp: Any) -> tuple[str, ...]:
    """The ``Literal`` values an annotation allows (also inside ``list[Literal[...]]``)."""
    out: list[str] = []
    for kind in alternatives(tp):
        inner = get_args(kind)[0] if get_origin(kind) is list and get_args(kind) else kind
        out += list(get_args(inner)) if get_origin(inner) is Literal else []
    return tuple(out)


def item_type(tp: Any) -> Any:
    """``X`` of a ``list[X]`` member of the annotation, or None."""
    for kind in alternatives(tp):
        if get_origin(kind) is list and get_args(kind):
            return get_args(kind)[0]
    return None


def coerce(value: Any, tp: Any, name: str, where: str) -> Any:
    """``value`` as the annotation ``tp`` takes it (YAML's ``1e-3`` text as a float, a number as text where text
    is expected); ConfigError naming ``name`` when it is of no allowed type."""
    kinds = alternatives(tp)
    for strict in (True, False):
        for kind in kinds:
            ok, out = _convert(value, _base(kind), strict)
            if ok:
                return out
    expected = " or ".join(dict.fromkeys(_base(k).__name__ for k in kinds))
    article = "an" if expected[0] in "aeiou" else "a"
    raise ConfigError(f"{where}: {name} expects {article} {expected}. Received: {name}={value!r}")


def check_field(owner: Any, f: dataclasses.Field, section: str) -> None:
    """ConfigError unless the field's value has its type, is one of its choices and lies within its bounds."""
    name, tp = f"{section}.{f.name}", hints(type(owner))[f.name]
    value = coerce(getattr(owner, f.name), tp, name, "config")
    item = item_type(tp)
    if isinstance(value, list) and item is not None:
        try:
            value = [coerce(v, item, name, "config") for v in value]
        except ConfigError:
            raise ConfigError(f"{name} expects a list of {type_text(item)}. Received: {name}={value!r}") from None
    setattr(owner, f.name, value)
    valid = choices(tp)
    if valid and str not in alternatives(tp):
        for chosen in value if isinstance(value, list) else [value]:
            if isinstance(chosen, str) and chosen not in valid:
                raise ConfigError(choice_message(name, chosen, valid, value))
    for number in value if isinstance(value, list) else [value]:
        check_bounds(name, number, f.metadata.get("bounds", {}), value, f.default)


def choice_message(name: str, item: Any, valid: tuple[str, ...], received: Any) -> str:
    """``name must be one of 'a', 'b'. Did you mean 'a'? Received: name=...``"""
    close = difflib.get_close_matches(str(item), valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"{name} must be one of {', '.join(map(repr, valid))}.{hint} Received: {name}={received!r}"


def check_bounds(name: str, number: Any, bounds: dict[str, float], received: Any, default: Any = None) -> None:
    """ConfigError unless ``number`` (when it is a number) is finite and within ``bounds``."""
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        return
    inside = all(BOUNDS[op][0](number, limit) for op, limit in bounds.items())
    if math.isfinite(number) and inside:
        return
    kind = "a whole number" if isinstance(number, int) else "a number" if math.isfinite(number) else "a finite number"
    expected = " ".join(filter(None, [kind, range_text(bounds)]))
    example = f", e.g. {default!r}" if isinstance(default, (int, float)) and not isinstance(default, bool) else ""
    raise ConfigError(f"{name} must be {expected}{example}. Received: {name}={received!r}")


def range_text(bounds: dict[str, float]) -> str:
    """``>= 0``, ``> 0``, ``in [0, 1)``."""
    low = [op for op in ("ge", "gt") if op in bounds]
    high = [op for op in ("le", "lt") if op in bounds]
    if low and high:
        left, right = "[" if low[0] == "ge" else "(", "]" if high[0] == "le" else ")"
        return f"in {left}{bounds[low[0]]:g}, {bounds[high[0]]:g}{right}"
    return " and ".join(f"{BOUNDS[op][1]} {bounds[op]:g}" for op in low + high)


def type_text(tp: Any, bounds: dict[str, float] | None = None) -> str:
    """An annotation in words for ``toonlab config``: ``'adam' | 'adamw'``, ``float > 0``, ``list of int >= 1``."""
    return " | ".join(_kind_text(kind, bounds or {}, shown=choices(tp)) for kind in alternatives(tp))


def _kind_text(kind: Any, bounds: dict[str, float], shown: tuple[str, ...] = ()) -> str:
    if get_origin(kind) is Literal:
        return " | ".join(map(repr, get_args(kind)))
    if get_origin(kind) is list and get_args(kind):
        inner = get_args(kind)[0]
        return "list of these" if get_origin(inner) is Literal and shown else f"list of {_kind_text(inner, bounds)}"
    numeric = bounds and _base(kind) in (int, float)
    return _base(kind).__name__ + (f" {range_text(bounds)}" if numeric else "")


def _base(kind: Any) -> type:
    """The plain type behind an annotation: ``Literal['a']`` -> str, ``list[int]`` -> list."""
    if get_origin(kind) is Literal:
        return type(get_args(kind)[0])
    return get_origin(kind) or kind


def _convert(value: Any, kind: type, strict: bool) -> tuple[bool, Any]:
    if isinstance(value, bool) or kind is bool:
        return (kind is bool and isinstance(value, bool)), value
    if isinstance(value, kind):
        return True, value
    if strict:
        return False, value
    if kind is float and (isinstance(value, int) or _is_number(value)):
        return True, float(value)
    if kind is str and isinstance(value, (int, float)):
        return True, str(value)
    return False, value


def _is_number(value: Any) -> bool:
    """YAML 1.1 reads ``1e-3`` (no dot) as a string; accept it where a float is expected."""
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True
