"""A sweep's results: one row per point (its furthest round), ranked; the table, results.csv and best.yaml.

Only the best row shows test numbers: the sweep chooses by validation, and the test split stays
for the one model chosen.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from toonlab.config import from_dict, load_yaml, save_config
from toonlab.runs import CONFIG_FILE
from toonlab.sweep import claims
from toonlab.sweep.params import decode, short
from toonlab.sweep.spec import SweepSpec, grid_points
from toonlab.text_table import format_table

RESULTS_FILE = "results.csv"
BEST_FILE = "best.yaml"
STATE_ORDER = {"complete": 0, "pruned": 1}


@dataclass
class Row:
    """One point of the sweep as it last stood: the round it reached and how its trial there ended."""

    slot: int
    round: int | None
    point: dict[str, Any]
    state: str
    value: float | None = None
    epochs: int | None = None
    wall_time_s: float | None = None
    folder: str = ""
    test: dict[str, float] = field(default_factory=dict)
    rank: int = 0


def collect(spec: SweepSpec, studies: list[tuple[int | None, optuna.Study]]) -> list[Row]:
    """Ranked rows from the studies of each round (``(round, study)``; round None without rounds)."""
    rows: dict[int, Row] = {}
    for round_no, study in studies:
        rows.update({r.slot: r for r in round_rows(spec, round_no, study)})
    return rank(list(rows.values()), spec.direction)


def round_rows(spec: SweepSpec, round_no: int | None, study: optuna.Study) -> list[Row]:
    """Ranked rows of one round's study (or of the whole study without rounds)."""
    points = grid_points(spec) if spec.strategy.kind not in ("random", "tpe") else None
    rows = [_row(spec, slot, round_no, _final(trials), points) for slot, trials in claims.attempts(study).items()]
    return rank(rows, spec.direction)


def rank(rows: list[Row], direction: str) -> list[Row]:
    """Furthest round first, then finished before pruned before the rest, then by value."""
    sign = 1 if direction == "min" else -1

    def key(r: Row) -> tuple:
        value = sign * r.value if r.value is not None and math.isfinite(r.value) else math.inf
        return (-(r.round or 0), STATE_ORDER.get(r.state, 2), value, r.slot)

    ranked = sorted(rows, key=key)
    for i, r in enumerate(ranked, 1):
        r.rank = i
    return ranked


def format_results(rows: list[Row], spec: SweepSpec, *, limit: int = 30) -> str:
    """The ranked table as text: rank, round, each param, the metric, epochs, wall time, state, test of the best."""
    keys = [p.key for p in spec.space]
    head = ["rank", *(["round"] if spec.strategy.kind == "rounds" else []), *[k.rpartition(".")[2] for k in keys],
            spec.metric, "epochs", "wall s", "state"]
    test_key = _test_key(spec.metric)
    best = rows[0] if rows and rows[0].state == "complete" else None
    if best is not None and test_key in best.test:
        head.append(test_key)
    lines = [head]
    for r in rows[:limit]:
        cells = [str(r.rank), *([str(r.round)] if spec.strategy.kind == "rounds" else []),
                 *[short({"": r.point[k]}).partition("=")[2] if k in r.point else "(base)" for k in keys],
                 _num(r.value), _num(r.epochs), _seconds(r.wall_time_s), r.state]
        if len(head) > len(cells):
            cells.append(_num(r.test.get(test_key)) if r is best else "")
        lines.append(cells)
    text = format_table(head, lines[1:])
    more = f"\n... and {len(rows) - limit} more in {RESULTS_FILE}" if len(rows) > limit else ""
    return text + more


def write_csv(rows: list[Row], spec: SweepSpec, path: Path) -> None:
    """``results.csv``: one line per point, ranked; test columns filled for the best only."""
    keys = [p.key for p in spec.space]
    test_keys = sorted(rows[0].test) if rows and rows[0].state == "complete" else []
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["rank", "round", "slot", "state", *keys, spec.metric, "epochs", "wall_time_s", *test_keys,
                    "folder"])
        for r in rows:
            tests = [r.test.get(k, "") if r.rank == 1 else "" for k in test_keys]
            w.writerow([r.rank, r.round or "", r.slot, r.state, *[_csv_value(r.point.get(k, "")) for k in keys],
                        "" if r.value is None else r.value, r.epochs or "", r.wall_time_s or "", *tests, r.folder])


def export_best(rows: list[Row], spec: SweepSpec, out: Path) -> Path | None:
    """The best finished trial's config as ``best.yaml``, ready for ``toonlab train --config``."""
    best = next((r for r in rows if r.state == "complete"), None)
    if best is None or not (out / best.folder / CONFIG_FILE).exists():
        return None
    where = str(out / best.folder / CONFIG_FILE)
    cfg = from_dict(load_yaml(out / best.folder / CONFIG_FILE), where=where)
    cfg.train.progress, cfg.train.threads = spec.base.train.progress, spec.base.train.threads
    path = out / BEST_FILE
    save_config(cfg, path)
    header = (f"# The best of sweep {spec.path.name if spec.path else ''}: {short(best.point) or 'base config'}\n"
              f"# {spec.metric} {_num(best.value)} in {best.folder}. Train it with:\n"
              f"#   toonlab train DATA --out RUN --config {path}\n")
    path.write_text(header + path.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def _final(trials: list[FrozenTrial]) -> FrozenTrial:
    """The attempt that stands for a slot: its result if it has one, else its latest attempt."""
    done = [t for t in trials if claims.is_done(t)]
    return (done or trials)[-1]


def _row(spec: SweepSpec, slot: int, round_no: int | None, t: FrozenTrial, points: list | None) -> Row:
    if points is not None:
        point = points[slot]
    else:
        stored = t.params or t.system_attrs.get("fixed_params", {})
        point = {p.key: decode(p, stored[p.key]) for p in spec.space if p.key in stored}
    attrs = t.user_attrs
    test = {k: v for k, v in attrs.items() if k.startswith("test_")}
    value = t.value if t.state == TrialState.COMPLETE else _last_report(t)
    return Row(slot, round_no, point, _state(t), value, attrs.get("epochs") or _reported_epochs(t),
               attrs.get("wall_time_s"), attrs.get("folder", ""), test)


def _state(t: FrozenTrial) -> str:
    if t.state == TrialState.FAIL:
        if claims.ERROR in t.user_attrs:
            return "failed: " + str(t.user_attrs[claims.ERROR]).splitlines()[0][:80]
        return "interrupted" if claims.INTERRUPTED in t.user_attrs else "killed"
    return t.state.name.lower()


def _last_report(t: FrozenTrial) -> float | None:
    steps = t.intermediate_values
    return steps[max(steps)] if steps else None


def _reported_epochs(t: FrozenTrial) -> int | None:
    return max(t.intermediate_values) if t.intermediate_values else None


def _test_key(metric: str) -> str:
    base, _, task = metric.partition("/")
    kind = "mae" if base == "val_mae" else "acc"
    return f"test_{kind}" + (f"/{task}" if task else "")


def _num(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}g}" if digits else f"{value:.0f}"


def _seconds(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _csv_value(value: Any) -> Any:
    return short({"": value}).partition("=")[2] if isinstance(value, (list, dict)) else value
