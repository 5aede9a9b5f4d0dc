"""Wall-clock budgets written the way people say them: ``90s``, ``10m``, ``1.5h``, ``1h30m`` or plain seconds.

Example:
    >>> parse_duration("10m"), parse_duration("1h30m"), parse_duration(45)
    (600.0, 5400.0, 45.0)
"""

from __future__ import annotations

import re

from toonlab.errors import ToonlabError

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smh])")


def parse_duration(value: str | int | float, *, name: str = "budget") -> float:
    """Seconds in ``value``; '' or 0 means no budget (0.0).

    Raises:
        ToonlabError: ``value`` is negative or not a duration; the message names ``name``.
    """
    if isinstance(value, bool):
        raise ToonlabError(_expected(name, value))
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        seconds = _parse_text(value.strip().lower(), name)
    if seconds < 0:
        raise ToonlabError(_expected(name, value))
    return seconds


def format_duration(seconds: float) -> str:
    """``seconds`` as a short human string: 45s, 7m 30s, 1h 05m."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def _parse_text(text: str, name: str) -> float:
    if not text:
        return 0.0
    try:
        return float(text)
    except ValueError:
        pass
    parts = _PART.findall(text)
    if not parts or _PART.sub("", text).strip():
        raise ToonlabError(_expected(name, text))
    return sum(float(number) * _UNITS[unit] for number, unit in parts)


def _expected(name: str, value: object) -> str:
    return (f"{name} is a duration such as 90s, 10m, 1.5h or 1h30m (plain numbers are seconds; 0 = no budget). "
            f"Received: {value!r}")
