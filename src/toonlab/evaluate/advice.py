"""Per-task advice after training: one line for a task that underfits, overfits, stays near its
baseline or whose label is often not drawn, saying what is wrong (with the numbers) and what to try
(with this project's option names, sized from the run's own config).

The rules are pure functions on plain data: the per-task test metrics (metrics.json ``tasks``), each
task's history.csv rows and the run's config as a dict. :func:`advise_run` reads those from a run
folder; ``evaluate_prepared`` stores the result in metrics.json as ``advice``.

Regression tasks get the MAE analogues of 'baseline' (test MAE no better than the mean predictor's)
and 'overfit' (validation MAE far above training MAE). 'underfit' needs an absolute target, which an
MAE in the task's own units does not have, so regression tasks never get it.

Example:
    >>> rows = [{"epoch": e, "train_acc/hair": a, "val_acc/hair": a} for e, a in enumerate((.5, .6, .7, .8), 1)]
    >>> hair = {"kind": "classification", "num_classes": 3, "accuracy": .78, "baseline_accuracy": .4,
    ...         "macro_f1": .77, "baseline_macro_f1": .2}
    >>> found = advise({"hair": hair}, {"hair": rows}, config={"train": {"epochs": 4}})
    >>> print(found[0].message)  # doctest: +NORMALIZE_WHITESPACE
    hair underfits: training accuracy 80.0% after 4 epochs and still rising (+30.0 points over the last 3 epochs);
    train longer: --epochs=8.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from toonlab.config import ExperimentConfig, load_yaml, to_dict
from toonlab.runs import CONFIG_FILE, history_files, read_history

UNDERFIT_ACC = 0.95
"""Training accuracy below which a task is not yet fitted. It is measured during the epoch with
augmentation and dropout on, so a network that has learnt a task reads a little under 100 %; 5 points
leave room for that and for a few wrong labels. A task whose validation accuracy is already at or
above this value is not called underfit (its low training number comes from the augmentation)."""

RISE_POINTS = 0.01
"""A rise of training accuracy above 1 point over the trend window means 'still rising'; smaller
changes are within the epoch-to-epoch noise of small data sets."""

RISE_EPOCHS = 3
"""The trend window: the last 3 epochs, or the last quarter of the run when that is longer, so a long
run is judged on its late slope rather than on one noisy epoch."""

OVERFIT_GAP = 0.10
"""Training minus validation accuracy at the last epoch above 10 points is overfitting: a few points
are normal (the network has seen its training images); 10 means it memorises more than it generalises."""

BASELINE_MARGIN = 0.02
"""Test accuracy within 2 points of always predicting the majority class: inside the sampling noise
of a few hundred test images, so the network may have learnt nothing about the task..."""

F1_MARGIN = 0.05
"""... unless its macro-F1 beats the baseline's by 5 points: on an imbalanced task the accuracy can
sit at the majority share while the rare classes are still found."""

CHANCE_MARGIN = 0.02
"""Macro-F1 within 2 points of chance (1/K, guessing uniformly among K classes) is 'near baseline' too."""

REGRESSION_BASELINE = 0.95
"""A regression task whose test MAE is above 95 % of the mean predictor's has learnt (almost) nothing."""

REGRESSION_OVERFIT = 1.5
"""A validation MAE above 1.5 times the training MAE at the last epoch is the regression 'overfit'."""

UNDRAWN_SHARE = 0.02
"""A label not drawn in at least 2 % of the test images, ..."""

UNDRAWN_GAP = 0.01
"""... whose accuracy where drawn beats the overall one by at least 1 point: the undrawn images, which
no network gets right but by chance, explain the difference."""

KINDS = ("undrawn", "baseline", "overfit", "underfit")
"""The kinds, in priority order: a task gets the first that fires (one line per task). An undrawn
label explains a training accuracy that would otherwise read as underfitting; a network at its
baseline has learnt nothing, which says more than the shape of its curves."""


@dataclass(frozen=True)
class Advice:
    """One line of advice: ``kind`` is one of :data:`KINDS`; ``message`` starts with the task's name."""

    task: str
    kind: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def advise(tasks: dict[str, dict[str, Any]], histories: dict[str, list[dict[str, float]]], *,
           config: dict[str, Any] | None = None) -> list[Advice]:
    """At most one :class:`Advice` per task, in task order; healthy tasks get none.

    Args:
        tasks: metrics.json ``tasks``: per task ``kind``, ``accuracy``, ``baseline_accuracy``, ``macro_f1``,
            ``baseline_macro_f1``, ``num_classes`` (or ``mae``, ``baseline_mae``), and where a label can
            be undrawn ``accuracy_visible`` with ``drawn_fraction`` (or ``n_visible``).
        histories: per task the rows of the history.csv of the network that trained it, one dict per
            epoch (``train_acc/<task>``, ``val_acc/<task>`` or ``train_mae/<task>``, ...); may be empty.
        config: the run's config.yaml as nested dicts; missing keys take the defaults.
    """
    settings = _Settings(config, shared=len(tasks) > 1 and _get(config, "train.mode") == "shared")
    out = []
    for name, metrics in tasks.items():
        for kind, rule in RULES:
            message = rule(name, metrics, histories.get(name, []), settings)
            if message:
                out.append(Advice(name, kind, message))
                break
    return out


def advise_run(run: str | Path, tasks: dict[str, dict[str, Any]]) -> list[Advice]:
    """:func:`advise` for a run folder: its history.csv file(s) and config.yaml, and ``tasks`` (metrics.json's)."""
    path = Path(run) / CONFIG_FILE
    config = load_yaml(path) if path.is_file() else None
    return advise(tasks, task_histories(run), config=config)


def task_histories(run: str | Path) -> dict[str, list[dict[str, float]]]:
    """Per task the history rows of the network that trained it (one shared file, or one per task)."""
    out: dict[str, list[dict[str, float]]] = {}
    for path in history_files(run):
        rows = read_history(path)
        for key in rows[0] if rows else {}:
            prefix, _, task = key.partition("/")
            if task and prefix in ("train_acc", "train_mae"):
                out[task] = rows
    return out


GROUP_FROM = 3
"""Tasks with the same kind of advice and the same thing to try share one console line from this many on
(metrics.json and the report keep every task's own message)."""

SHARED_PHRASES = {"underfit": "underfit", "baseline": "stay near their baseline", "overfit": "overfit",
                  "undrawn": "have labels that are often not drawn"}


def format_advice(advice: list[dict[str, Any]]) -> str:
    """The console lines: one message per entry ('[fold-1] ...' when it comes from a k-fold/repeats member);
    :data:`GROUP_FROM` or more entries of one kind with the same hint become one line naming the tasks."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for a in advice:
        hint = a["message"].rpartition("; ")[2]
        groups.setdefault((a.get("member"), a["kind"], hint), []).append(a)
    lines = []
    for (member, kind, hint), entries in groups.items():
        if len(entries) >= GROUP_FROM:
            names = ", ".join(e["task"] for e in entries)
            text = f"{len(entries)} tasks {SHARED_PHRASES.get(kind, kind)} ({names}); {hint}"
            shown = [text if text.endswith(".") else text + "."]
        else:
            shown = [e["message"] for e in entries]
        lines += [f"[{member}] {line}" if member else line for line in shown]
    return "\n".join(lines)


# --- the rules: each returns the message, or None when it does not fire -----------------------------

def _undrawn(name: str, m: dict[str, Any], rows: list[dict[str, float]], s: _Settings) -> str | None:
    acc, where, drawn = m.get("accuracy"), m.get("accuracy_visible"), _drawn_share(m)
    if not _finite(acc, where, drawn) or 1 - drawn < UNDRAWN_SHARE or where - acc < UNDRAWN_GAP:
        return None
    return (f"{name}: {_pct(acc)} overall but {_pct(where)} where drawn; its label is not drawn in "
            f"{_pct(1 - drawn)} of test images; {s.undrawn_hint()}.")


def _drawn_share(m: dict[str, Any]) -> float | None:
    """``drawn_fraction``, or for metrics written before it existed ``n_visible / n_test``."""
    if "drawn_fraction" in m:
        return m["drawn_fraction"]
    return m["n_visible"] / m["n_test"] if m.get("n_test") and "n_visible" in m else None


def _baseline(name: str, m: dict[str, Any], rows: list[dict[str, float]], s: _Settings) -> str | None:
    if m.get("kind") == "regression":
        mae, base = m.get("mae"), m.get("baseline_mae")
        if not _finite(mae, base) or mae <= REGRESSION_BASELINE * base:
            return None
        facts = f"test MAE {mae:.4g} vs {base:.4g} for always predicting the training mean"
    else:
        acc, base, f1 = m.get("accuracy"), m.get("baseline_accuracy"), m.get("macro_f1")
        if not _finite(acc, base, f1) or acc >= 1 or not _near_baseline(acc, base, f1, m):
            return None
        facts = (f"test accuracy {_pct(acc)} vs {_pct(base)} for always predicting the majority class, "
                 f"macro-F1 {_pct(f1)}")
    return f"{name} stays near its baseline: {facts}; {s.baseline_hint(name)}."


def _near_baseline(acc: float, base: float, f1: float, m: dict[str, Any]) -> bool:
    base_f1, classes = m.get("baseline_macro_f1"), m.get("num_classes")
    f1_better = _finite(base_f1) and f1 - base_f1 >= F1_MARGIN
    chance = 1 / classes if isinstance(classes, int) and classes > 0 else 0.0
    return (acc - base < BASELINE_MARGIN and not f1_better) or f1 < chance + CHANCE_MARGIN


def _overfit(name: str, m: dict[str, Any], rows: list[dict[str, float]], s: _Settings) -> str | None:
    last = rows[-1] if rows else {}
    regression = m.get("kind") == "regression"
    kind = "mae" if regression else "acc"
    train, val = last.get(f"train_{kind}/{name}"), last.get(f"val_{kind}/{name}")
    if not _finite(train, val):
        return None
    epoch = f"epoch {int(last.get('epoch', len(rows)))}"
    if regression:
        if train <= 0 or val <= REGRESSION_OVERFIT * train:
            return None
        facts = f"validation MAE {val:.4g} is {val / train:.1f}x the training MAE {train:.4g} at {epoch}"
    elif train - val > OVERFIT_GAP:
        facts = (f"training accuracy {_pct(train)} vs validation {_pct(val)} at {epoch} "
                 f"({_pts(train - val)} points apart)")
    else:
        return None
    return f"{name} overfits: {facts}; {s.regularise_hint(classification=not regression)}."


def _underfit(name: str, m: dict[str, Any], rows: list[dict[str, float]], s: _Settings, *,
              climbing_only: bool = False) -> str | None:
    series = [r[f"train_acc/{name}"] for r in rows if f"train_acc/{name}" in r]
    val = rows[-1].get(f"val_acc/{name}") if rows else None
    fitted = series and (series[-1] >= UNDERFIT_ACC or (_finite(val) and val >= UNDERFIT_ACC))
    if m.get("kind") == "regression" or not series or fitted:
        return None
    n = len(series)
    window = min(max(RISE_EPOCHS, n // 4), n - 1)
    rise = series[-1] - series[n - 1 - window] if window else None
    head = f"{name} underfits: training accuracy {_pct(series[-1])} after {n} epoch{'s' if n > 1 else ''}"
    if rise is None:  # one epoch: too short to tell a plateau from a climb
        return f"{head}; {s.longer_hint(n)}."
    trend = f"({rise * 100:+.1f} points over the last {window} epochs)"
    if rise > RISE_POINTS:
        return f"{head} and still rising {trend}; {s.longer_hint(n)}."
    if climbing_only:
        return None
    if rise < -RISE_POINTS:
        return f"{head} and falling {trend}; {s.lower_lr_hint()}."
    return f"{head} and flat {trend}; {s.capacity_hint()}."


def _still_climbing(name: str, m: dict[str, Any], rows: list[dict[str, float]], s: _Settings) -> str | None:
    """Underfit and still rising (or one epoch only): training was cut short, which also explains a task
    near its baseline, so 'train longer' comes before 'check the labels'."""
    return _underfit(name, m, rows, s, climbing_only=True)


RULES: tuple[tuple[str, Callable[..., str | None]], ...] = (
    ("undrawn", _undrawn), ("underfit", _still_climbing), ("baseline", _baseline), ("overfit", _overfit),
    ("underfit", _underfit))


# --- what to try, from the run's config ---------------------------------------------------------------

class _Settings:
    """The run's settings that the hints quote or scale (defaults where the config is silent)."""

    def __init__(self, config: dict[str, Any] | None, *, shared: bool) -> None:
        self.config, self.shared = config, shared

    def __getitem__(self, key: str) -> Any:
        return _get(self.config, key)

    def undrawn_hint(self) -> str:
        judge = "judge it by its accuracy where drawn"
        if self["train.undrawn_labels"] is None:  # a toonlab without the option
            return judge
        if self["train.undrawn_labels"] == "skip":
            return f"they are already left out of the loss (train.undrawn_labels=skip): {judge}"
        return f"pass --train.undrawn_labels=skip to leave those out of the loss, and {judge}"

    def baseline_hint(self, task: str) -> str:
        lr = self["train.lr"]
        weight = f", and --train.loss_weights='{{{task}: 3}}' to weigh it more" if self.shared else ""
        return (f"check its labels with `toonlab check {self['data.path'] or 'DATA'}`, then try "
                f"--train.lr={lr / 3:.2g} (or {lr * 3:.2g}){weight}")

    def regularise_hint(self, *, classification: bool) -> str:
        augment = ("stronger augmentation (augment.rotate, shift, scale)" if self["augment.p_affine"]
                   else "--augment.p_affine=0.5 --augment.rotate=10 --augment.shift=0.1")
        decay = self["train.weight_decay"]
        hints = [augment, f"--train.weight_decay={10 * decay:.2g}" if decay else "--train.weight_decay=0.05"]
        options = [("model.dropout", "--model.dropout=0.2"),
                   ("train.label_smoothing", "--train.label_smoothing=0.1" if classification else "")]
        hints += [text for key, text in options if text and not self[key]]
        return f"try {', '.join(hints[:3])}, or more training images"

    def longer_hint(self, epochs: int) -> str:
        patience, planned = self["train.patience"], self["train.epochs"]
        if patience and epochs < planned:
            return (f"early stopping (train.patience={patience}, monitor {self['train.monitor']}) ended the run "
                    f"at epoch {epochs} of {planned}: raise --train.patience={max(2 * patience, 10)}")
        return f"train longer: --epochs={2 * epochs}"

    def lower_lr_hint(self) -> str:
        schedule = " or a decaying one (--train.schedule=cosine)" if self["train.schedule"] == "none" else ""
        return f"the learning rate may be too high: try --train.lr={self['train.lr'] / 3:.2g}{schedule}"

    def capacity_hint(self) -> str:
        higher_lr = f"or a higher --train.lr={self['train.lr'] * 3:.2g}"
        name = self["model.name"]
        if name == "cnn":
            widths = ",".join(str(2 * w) for w in self["model.widths"])
            return (f"give it more capacity: --model.widths=[{widths}] or "
                    f"--model.convs_per_stage={self['model.convs_per_stage'] + 1}, {higher_lr}")
        if name == "mlp":
            return f"give it more capacity: a CNN (--model.name=cnn) or wider --model.mlp_hidden, {higher_lr}"
        if self["model.transfer"] != "finetune":
            return f"let the backbone learn too: --model.transfer=finetune, {higher_lr}"
        return f"try a larger backbone (model.name), {higher_lr}"


_DEFAULTS = to_dict(ExperimentConfig())


def _get(config: dict[str, Any] | None, key: str) -> Any:
    """``config[section][key]``, else the default; None for a key this toonlab does not have."""
    section, _, field = key.partition(".")
    given = (config or {}).get(section)
    if isinstance(given, dict) and field in given:
        return given[field]
    return _DEFAULTS.get(section, {}).get(field)


def _finite(*values: Any) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _pts(x: float) -> str:
    return f"{100 * x:.1f}"
