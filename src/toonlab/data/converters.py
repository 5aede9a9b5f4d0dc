"""Named value converters: raw label text -> the text ``encode_records`` reads.

The ``manifest`` and ``filename`` sources apply ``--converters`` (``data.converters``), a
``{field: converter}`` mapping, to the raw value of each named column or regex group
before encoding. Every converter returns text; an empty value stays empty (no label).

Example:
    >>> convert("years.months", "6.7")  # 6 years 7 months, in months
    '79'
    >>> convert("int", " 12 ")
    '12'
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Callable, Iterable

from toonlab.errors import DataError

_YEARS_MONTHS = re.compile(r"(\d+)(?:\.(\d{1,2}))?")


def to_int(raw: str) -> str:
    """A whole number (``"7"``, ``"7.0"``) as text; ValueError otherwise."""
    number = _number(raw)
    if not number.is_integer():
        raise ValueError(f"{raw.strip()!r} is not a whole number")
    return str(int(number))


def to_float(raw: str) -> str:
    """A finite number as text (``"6.50"`` -> ``"6.5"``); ValueError otherwise."""
    return repr(_number(raw))


def to_str(raw: str) -> str:
    """The text with surrounding spaces removed."""
    return raw.strip()


def years_months(raw: str) -> str:
    """``"Y.M"`` (Y years and M months, M in 0..11) as the total months: ``"6.7"`` -> ``"79"``, ``"4.11"`` -> ``"59"``.

    ``"6"`` is 6 years 0 months. Note ``"6.1"`` is one month and ``"6.10"`` ten months.
    """
    text = raw.strip()
    match = _YEARS_MONTHS.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not years.months such as '6.7' (6 years 7 months)")
    years, months = int(match.group(1)), int(match.group(2) or 0)
    if months >= 12:
        raise ValueError(f"{text!r} has {months} months; years.months needs months 0..11 (e.g. '6.11')")
    return str(years * 12 + months)


CONVERTERS: dict[str, Callable[[str], str]] = {
    "int": to_int,
    "float": to_float,
    "str": to_str,
    "years.months": years_months,
}


def convert(name: str, raw: str) -> str:
    """Apply the converter ``name`` to ``raw``; ``""`` stays ``""`` (no label).

    Args:
        name: one of ``CONVERTERS``.
        raw: the text read from a column or regex group.

    Raises:
        ValueError: ``raw`` cannot be converted (the message says why) or ``name`` is unknown.
    """
    if name not in CONVERTERS:
        raise ValueError(f"unknown converter {name!r} (valid: {', '.join(CONVERTERS)})")
    return CONVERTERS[name](raw) if raw.strip() else ""


def check_converters(converters: dict[str, str], fields: Iterable[str] | None = None, *, what: str = "field") -> None:
    """DataError unless every converter name is known and, given ``fields``, every key is one of them.

    Example:
        >>> check_converters({"age": "years.months"}, ["age", "sex"], what="column")
    """
    known = list(fields) if fields is not None else None
    for key, name in converters.items():
        if name not in CONVERTERS:
            close = difflib.get_close_matches(str(name), list(CONVERTERS), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise DataError(f"Unknown converter {name!r} for {key!r} in --converters (data.converters).{hint} "
                            f"Valid converters: {', '.join(CONVERTERS)}. Received: {key}={name!r}")
        if known is not None and key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise DataError(f"--converters (data.converters) names {what} {key!r}, which this data does not have."
                            f"{hint} Valid {what}s: {', '.join(known) or '(none)'}. Received: {key}={name!r}")


def apply_converters(values: dict[str, str], converters: dict[str, str]) -> tuple[dict[str, str], str]:
    """``values`` with each named converter applied, and ``""`` or the reason the first one failed.

    Example:
        >>> apply_converters({"age": "4.5", "sex": "m"}, {"age": "years.months"})
        ({'age': '53', 'sex': 'm'}, '')
    """
    out = dict(values)
    for key, name in converters.items():
        if key in out:
            try:
                out[key] = convert(name, out[key])
            except ValueError as e:
                return values, f"cannot convert {key!r} with {name}: {e}"
    return out, ""


def _number(raw: str) -> float:
    try:
        number = float(raw.strip())
    except ValueError:
        raise ValueError(f"{raw.strip()!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{raw.strip()!r} is not a finite number")
    return number
