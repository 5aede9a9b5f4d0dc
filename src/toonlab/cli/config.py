"""The ``config`` verb: ``toonlab config [SECTION] [--yaml]`` lists every config key with its type, default and
meaning, or prints a default YAML to edit and pass to ``--config``.

Both are generated from the dataclass fields of :mod:`toonlab.config` (their docs are the single source), so
they cannot drift from what the config loader accepts.

Example:
    >>> "train.epochs (int >= 0, default 0)" in format_keys("train")
    True
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import textwrap
from typing import Any

from toonlab.cli.help import show
from toonlab.errors import ToonlabError


def config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("section", nargs="?", help="Only this section, e.g. train (default: every section).")
    p.add_argument("--yaml", action="store_true", help="Print the defaults as a commented YAML config instead; "
                   "edit it and pass it to --config (e.g. toonlab config --yaml > my.yaml).")


def config_verb(args: argparse.Namespace) -> int:
    from toonlab.config import SECTIONS, valid_hint  # imports yaml: not needed for other verbs or --help

    if args.section and args.section not in SECTIONS:
        raise ToonlabError(f"There is no config section {args.section!r}; run `toonlab config` for all of them, or "
                           f"name one. {valid_hint(args.section, SECTIONS)}")
    sections = [args.section] if args.section else list(SECTIONS)
    text = format_yaml if args.yaml else format_keys
    print("\n\n".join(text(section) for section in sections))
    return 0


def format_keys(section: str, *, width: int | None = None) -> str:
    """One section's keys: ``section.key (type, default X)`` and its meaning, indented and wrapped; the type
    shows the key's choices and bounds (``'adam' | 'sgd'``, ``float > 0``)."""
    from toonlab.config import SECTIONS, field_type  # lazy: `toonlab --help` stays fast

    width = width or min(shutil.get_terminal_size().columns, 100)
    cls = SECTIONS[section]
    lines = [f"{section}: {_doc(cls)}"]
    for f in dataclasses.fields(cls):
        lines.append(f"  {section}.{f.name} ({field_type(section, f.name)}, default {show(default(f))})")
        lines += textwrap.wrap(f.metadata.get("help", ""), width, initial_indent=" " * 6, subsequent_indent=" " * 6,
                               break_on_hyphens=False)
    return "\n".join(lines)


def format_yaml(section: str, *, width: int = 100) -> str:
    """One section as YAML with every key at its default, each under a comment that says what it does."""
    from toonlab.config import SECTIONS  # lazy: `toonlab --help` stays fast

    cls = SECTIONS[section]
    lines = [f"{section}:  # {_doc(cls)}"]
    for f in dataclasses.fields(cls):
        lines += textwrap.wrap(f.metadata.get("help", ""), width, initial_indent="  # ", subsequent_indent="  # ",
                               break_on_hyphens=False)
        lines.append(f"  {f.name}: {_yaml_value(default(f))}")
    return "\n".join(lines)


def _yaml_value(value: Any) -> str:
    """One value as YAML on one line: ``''``, ``[32, 64]``, ``{}``, ``0.004``."""
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1_000_000)
    return text.removesuffix("\n...\n").strip()


def default(f: dataclasses.Field) -> Any:
    """A field's default value (a fresh one for list and dict fields)."""
    return f.default_factory() if f.default is dataclasses.MISSING else f.default


def _doc(cls: type) -> str:
    return " ".join((cls.__doc__ or "").split())
