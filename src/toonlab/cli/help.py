"""How ``--help`` shows defaults: every option names its default, and an option that sets a config key shows
that key's default from the config dataclasses (or from a verb's own recipe), so the two cannot drift.

Example:
    >>> p = argparse.ArgumentParser(formatter_class=HelpFormatter)
    >>> _ = config_option(p, "--epochs", key="train.epochs", type=int, help="Maximum epochs",
    ...                   means={0: "follow the data size"})
    >>> "(default 0 = follow the data size; config train.epochs)" in " ".join(p.format_help().split())
    True
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, Union

#: Where a config option's default comes from: None = the config dataclasses, a callable = a verb's own base
#: config (e.g. the demo recipe), a string = a default in words (e.g. "the run's own").
Base = Union[None, Callable[[], Any], str]

CONFIG_POINTER = ("Every config key, its type, default and meaning: `toonlab config` (one section: `toonlab config "
                  "train`; a YAML to edit: `toonlab config --yaml`). Set any with --section.key=value.")


class HelpFormatter(argparse.HelpFormatter):
    """Appends ``(default X)`` to every option that takes a value and does not say its default already."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        said = "default" in text.lower() or "required" in text.lower()
        if text is argparse.SUPPRESS or not action.option_strings or action.nargs == 0 or said:
            return text
        if action.required:
            return _append(text, "required")
        key = getattr(action, "config_key", None)
        if key is not None:
            shown = default_text(key, getattr(action, "config_base", None), getattr(action, "config_means", {}))
            return _append(text, f"default {escape(shown)}; config {key}")
        if action.default is None:
            return text
        return _append(text, f"default {escape(show(action.default))}")

    def _split_lines(self, text: str, width: int) -> list[str]:
        """Wrap at spaces only, so that --batch-size or task-specific stay whole."""
        import textwrap

        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


def _append(text: str, note: str) -> str:
    """``Learning rate.`` + ``default 0.004`` -> ``Learning rate (default 0.004).``"""
    stop = "." if text.endswith(".") else ""
    return f"{text.removesuffix('.')} ({note}){stop}"


def config_option(group: Any, *flags: str, key: str, base: Base = None, means: dict | None = None,
                  **kwargs: Any) -> argparse.Action:
    """An option that sets config ``key`` (``section.key``); its help shows the key's default.

    The argparse default stays None, so an option left out does not override a ``--config`` YAML.
    ``means`` explains special values, e.g. ``{0: "follow the data size"}``.
    """
    action = group.add_argument(*flags, **kwargs)
    action.config_key, action.config_base, action.config_means = key, base, means or {}
    return action


def default_text(key: str, base: Base = None, means: dict | None = None) -> str:
    """The default of ``section.key`` as help shows it, e.g. ``0 = follow the data size``."""
    if isinstance(base, str):
        return base
    value = config_default(key, base)
    meaning = (means or {}).get(value) if isinstance(value, (int, float, str)) else None
    if not meaning:
        return "none" if value == "" else show(value)
    return meaning if value == "" else f"{show(value)} = {meaning}"


def config_default(key: str, base: Callable[[], Any] | None = None) -> Any:
    """The value of ``section.key`` in ``base()`` (default: a fresh ``ExperimentConfig``)."""
    from toonlab.config import ExperimentConfig  # lazy: `toonlab --help` stays fast

    section, _, name = key.partition(".")
    return getattr(getattr(base() if base else ExperimentConfig(), section), name)


def show(value: Any) -> str:
    """A default as a user would type it in YAML: '', true/false, [a, b]; None (no value) is none."""
    if value is None:
        return "none"
    if value == "":
        return "''"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, dict)):
        import yaml

        return yaml.safe_dump(value, default_flow_style=True).strip()
    return str(value)


def escape(text: str) -> str:
    """Help strings are %-formatted by argparse."""
    return text.replace("%", "%%")
