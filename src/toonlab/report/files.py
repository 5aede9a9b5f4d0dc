"""Reading a run (or sweep) folder for the report: every file is optional, and a missing or unreadable
one gives None (logged) instead of an error, so each section simply leaves out what is not there.

Example:
    >>> folder = ReportFolder.open("runs/first")  # doctest: +SKIP
    >>> folder.kind, folder.metrics["mean_accuracy"]  # doctest: +SKIP
    ('run', 0.98)
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toonlab.errors import ToonlabError

log = logging.getLogger(__name__)

SWEEP_MARKERS = ("study.db", "sweep.yaml")  # with results.csv: a sweep folder


def read_text(path: Path) -> str | None:
    """The file's text, or None when it is absent or unreadable."""
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        log.warning("Report: cannot read %s (%s); that part is left out.", path, e.strerror)
        return None


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object, or None when absent, unreadable or not valid JSON."""
    text = read_text(path)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        log.warning("Report: %s is not valid JSON (%s); that part is left out.", path, e)
        return None
    return value if isinstance(value, dict) else None


def read_csv(path: Path) -> list[dict[str, str]] | None:
    """A CSV file with a header as row dicts, or None when absent or unreadable."""
    text = read_text(path)
    if text is None:
        return None
    try:
        return list(csv.DictReader(text.splitlines()))
    except csv.Error as e:
        log.warning("Report: %s is not a readable CSV file (%s); that part is left out.", path, e)
        return None


def read_yaml(text: str | None) -> dict[str, Any]:
    """A YAML mapping from text, or {} when there is none or it does not parse."""
    if not text:
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return value if isinstance(value, dict) else {}


@dataclass
class ReportFolder:
    """What the report reads first: the folder, its kind and its top-level files.

    ``kind`` is ``"sweep"`` (results.csv beside study.db or sweep.yaml), ``"members"`` (a k-fold or
    repeated-seed parent: metrics.json holds ``members``) or ``"run"``.
    """

    path: Path
    kind: str
    metrics: dict[str, Any] = field(default_factory=dict)
    config_text: str | None = None
    config: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, path: str | Path) -> ReportFolder:
        """Read ``path``; ToonlabError when it is neither a run folder nor a sweep folder."""
        path = Path(path)
        if not path.is_dir():
            raise ToonlabError(f"No folder {str(path)!r}. Pass a run folder written by `toonlab train DATA --out RUN` "
                               "or a sweep folder written by `toonlab sweep`.")
        metrics = read_json(path / "metrics.json") or {}
        config_text = read_text(path / "config.yaml")
        kind = _kind(path, metrics)
        if kind == "run" and not metrics and config_text is None:
            raise ToonlabError(f"{str(path)!r} is not a toonlab run or sweep folder (no metrics.json, config.yaml or "
                               "results.csv). Pass a folder written by `toonlab train DATA --out RUN` or `toonlab sweep`.")
        return cls(path, kind, metrics, config_text, read_yaml(config_text))

    def data_root(self) -> Path | None:
        """The data folder the evaluation files name images relative to (the last evaluated, else the config's)."""
        root = self.metrics.get("data") or self.config.get("data", {}).get("path")
        return Path(root) if root else None


def _kind(path: Path, metrics: dict[str, Any]) -> str:
    if (path / "results.csv").is_file() and any((path / m).exists() for m in SWEEP_MARKERS):
        return "sweep"
    return "members" if isinstance(metrics.get("members"), dict) else "run"
