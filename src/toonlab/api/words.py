"""Errors in the words of the Python API.

The library's messages name command-line options (``--source``, ``--out RUN``, ``--duplicates group``),
because the command line is where most users meet them. Raised through ``toonlab.train(...)`` and the
other API functions they name keyword arguments instead: :func:`python_words` rewrites each option
the API takes as an argument, and :func:`speaks_python` applies it to every ToonlabError a public
function raises. Options the API has no argument for are left as they are.

Example:
    >>> python_words("pass --labels FILE (data.labels)")
    'pass labels=FILE (data.labels)'
    >>> python_words("Use --duplicates group, --resume or --train.lr=1e-4.")
    "Use duplicates='group', resume=True or **{'train.lr': 1e-4}."
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, TypeVar

from toonlab.api.overrides import SHORTCUTS
from toonlab.errors import ToonlabError

F = TypeVar("F", bound=Callable[..., Any])

SWITCHES = {"resume", "overwrite"}  # flags without a value: resume=True
ARGUMENTS = set(SHORTCUTS) | SWITCHES | {"out", "config"}
# the option, then an optional value: '=value', or a metavar (FILE, N) or a plain word after a space
FLAG = re.compile(r"--(?P<name>[a-z][a-z0-9_-]*(?:\.[a-z_]+)?)"
                  r"(?:=(?P<eq>[^\s,;)]*[^\s,;).])| (?P<word>[A-Z][A-Z_]*\b|[\w/*+-]+(?:[.,][\w/*+-]+)*))?")
NOT_VALUES = {"or", "and", "to", "is", "in", "with", "the", "a", "an", "for", "of", "which", "at", "on", "as", "if",
              "instead", "names", "must", "needs", "takes", "was", "does", "from", "only", "so", "but", "then"}


def python_words(message: str) -> str:
    """``message`` with each ``--option`` the API takes spelled as the keyword argument (a command quoted in
    backticks, such as `toonlab check DATA --source folders`, stays a command)."""
    parts = message.split("`")
    return "`".join(FLAG.sub(_argument, part) if i % 2 == 0 else part for i, part in enumerate(parts))


def speaks_python(fn: F) -> F:
    """Decorate a public API function: a ToonlabError it raises names keyword arguments, not ``--flags``."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ToonlabError as e:
            if e.args and isinstance(e.args[0], str):
                e.args = (python_words(e.args[0]), *e.args[1:])
            raise

    return wrapper  # type: ignore[return-value]


def _argument(match: re.Match) -> str:
    name, value = match["name"], match["eq"] or match["word"]
    if "." in name:  # a config key: --train.lr=1e-4
        return f"**{{{name!r}: {match['eq']}}}" if match["eq"] else repr(name) + (f" {match['word']}" if match["word"] else "")
    keyword = name.replace("-", "_")
    if keyword not in ARGUMENTS:
        return match[0]
    if keyword in SWITCHES:
        return f"{keyword}=True" + (f" {match['word']}" if match["word"] else "")
    if match["word"] and match["word"].lower() in NOT_VALUES:
        return f"{keyword}= {match['word']}"
    return f"{keyword}={_value(value)}" if value else f"{keyword}="


def _value(text: str) -> str:
    """A metavar (FILE, N) stays bare; a number stays a number; anything else is a string literal."""
    if re.fullmatch(r"[A-Z][A-Z_]*", text) or re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", text):
        return text
    return repr(text)
