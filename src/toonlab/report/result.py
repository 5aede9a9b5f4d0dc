"""The report's first section, id ``result``: what the run achieved, before how it was made.

In order: the headline (mean test accuracy over the classification tasks, and accuracy where the label
is drawn when the metrics have it), a bar chart of each task's test accuracy against its majority-class
baseline, the warnings (tasks that do not beat their baseline, duplicates across the splits, duplicates
whose labels disagree, skipped images) and the advice lines of metrics.json. For a k-fold or
repeated-seed parent the numbers are the means over its members, with their standard deviation.

Example:
    >>> from toonlab.report.files import ReportFolder
    >>> html = result_section(ReportFolder.open("runs/first"))  # doctest: +SKIP
    >>> html.startswith('<section id="result">')  # doctest: +SKIP
    True
"""

from __future__ import annotations

import math
from typing import Any

from toonlab.report.charts import Bar, accuracy_bars
from toonlab.report.files import ReportFolder
from toonlab.report.html import Raw, esc, join, para, section, tag
from toonlab.report.summary import num, pct


def result_section(folder: ReportFolder) -> Raw | None:
    """id ``result``: the headline number, the per-task bar chart, then warnings and advice."""
    tasks = folder.metrics.get("tasks")
    if not isinstance(tasks, dict) or not tasks:
        return None
    classes = {n: t for n, t in tasks.items() if isinstance(t, dict) and t.get("kind") != "regression"}
    regression = {n: t for n, t in tasks.items() if isinstance(t, dict) and t.get("kind") == "regression"}
    bars = [_bar(name, t) for name, t in classes.items() if value(t.get("accuracy")) is not None]
    axis = f"mean test accuracy over the {_members(folder)} (%)" if folder.kind == "members" else "test accuracy (%)"
    return section("result", "Result", _headline(folder, classes), _regression_line(regression),
                   tag("figure", accuracy_bars(bars, axis=axis), cls="chart") if bars else None,
                   _warnings(folder, tasks), advice_list(folder.metrics.get("advice")))


def value(x: Any) -> float | None:
    """A metric as a number: itself, or the mean of a ``{"mean", "std", "values"}`` entry; None when
    missing or NaN."""
    if isinstance(x, dict):
        x = x.get("mean")
    if isinstance(x, bool) or not isinstance(x, (int, float)) or math.isnan(x):
        return None
    return float(x)


def beats_baseline(task: dict[str, Any]) -> bool | None:
    """The task's ``beats_baseline`` flag from metrics.json, else accuracy above the majority-class baseline
    (regression: MAE below the mean predictor's); None when a number is missing."""
    if isinstance(task.get("beats_baseline"), bool):
        return task["beats_baseline"]
    if task.get("kind") == "regression":
        mae, base = value(task.get("mae")), value(task.get("baseline_mae"))
        return None if mae is None or base is None else mae < base
    acc, base = value(task.get("accuracy")), value(task.get("baseline_accuracy"))
    return None if acc is None or base is None else acc > base


def advice_list(advice: Any) -> Raw | None:
    """The per-task advice lines of metrics.json as a list (id ``advice``), or None when no task got one."""
    entries = advice if isinstance(advice, list) else []
    lines = [a["message"] for a in entries if isinstance(a, dict) and isinstance(a.get("message"), str)]
    if not lines:
        return None
    return join([tag("h3", "Advice"), tag("ul", Raw("".join(tag("li", line) for line in lines)), id="advice")])


def _headline(folder: ReportFolder, classes: dict[str, dict[str, Any]]) -> Raw | None:
    if not classes:
        return None
    accs = [a for t in classes.values() if (a := value(t.get("accuracy"))) is not None]
    mean = value(folder.metrics.get("mean_accuracy"))
    mean = mean if mean is not None else (sum(accs) / len(accs) if accs else None)
    drawn = _where_drawn(classes)
    bases = [b for t in classes.values() if (b := value(t.get("baseline_accuracy"))) is not None]
    spread = value((folder.metrics.get("mean_accuracy") or {}).get("std")) if folder.kind == "members" else None
    text = tag("span", pct(mean) + (f" ± {pct(spread)}" if spread is not None else ""), cls="big") + esc(
        f" mean test accuracy over {_count(len(classes), 'classification task')}")
    if drawn:
        text += esc(" · ") + tag("span", pct(sum(drawn) / len(drawn)), cls="big") + esc(
            " where the label is drawn (a task whose label is always drawn counts with its accuracy)")
    facts = [_where(folder), f"majority-class baseline {pct(sum(bases) / len(bases))} (mean)" if bases else None,
             f"seed {folder.metrics['seed']}" if folder.metrics.get("seed") is not None else None]
    return tag("div", join([para(Raw(text)), para(" · ".join(f for f in facts if f), cls="note")]),
               cls="headline", id="headline")


def _where_drawn(classes: dict[str, dict[str, Any]]) -> list[float]:
    """Each task's accuracy where its label is drawn (its accuracy when the metrics have no such key, as
    in the console table); empty when no task has the key."""
    if not any("accuracy_visible" in t for t in classes.values()):
        return []
    found = [value(t.get("accuracy_visible", t.get("accuracy"))) for t in classes.values()]
    return [x for x in found if x is not None]


def _regression_line(regression: dict[str, dict[str, Any]]) -> Raw | None:
    parts = [f"{name}: MAE {num(value(t.get('mae')))} (baseline {num(value(t.get('baseline_mae')))})"
             for name, t in regression.items()]
    return para("Regression, test " + "; ".join(parts) + ".") if parts else None


def _bar(name: str, t: dict[str, Any]) -> Bar:
    std = t.get("accuracy", {}).get("std") if isinstance(t.get("accuracy"), dict) else None
    return Bar(name, value(t.get("accuracy")), value(t.get("baseline_accuracy")), value(t.get("accuracy_visible")),
               value(std), below=beats_baseline(t) is False)


def _warnings(folder: ReportFolder, tasks: dict[str, Any]) -> Raw:
    lines = [_below(name, t) for name, t in tasks.items() if isinstance(t, dict) and beats_baseline(t) is False]
    crossing = (folder.metrics.get("duplicates") or {}).get("cross_split") or []
    if crossing:
        lines.append(f"{_count(len(crossing), 'cluster')} of exact or near-duplicate images "
                     f"{'straddles' if len(crossing) == 1 else 'straddle'} the "
                     "train/val/test splits, so test accuracy may be inflated; train again with "
                     "--duplicates group (or drop), and see Data below.")
    lines += _conflict_warning((folder.metrics.get("duplicates") or {}).get("conflicts"))
    skipped = (folder.metrics.get("images") or {}).get("skipped")
    if isinstance(skipped, int) and skipped > 0:
        lines.append(f"{_count(skipped, 'image')} could not be used and were skipped; skipped.csv says why "
                     "(see Data below).")
    if not lines:
        return para("No warnings: every task beats its majority-class baseline.", cls="note")
    return join([tag("h3", "Warnings"), tag("ul", Raw("".join(tag("li", line) for line in lines)),
                                            id="warnings", cls="warnings")])


def _conflict_warning(entries: Any) -> list[str]:
    """A line when copies of one picture still carry different labels (none when drop-conflicts dropped them)."""
    entries = [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    used = [e for e in entries if any(s != "dropped" for s in e.get("splits") or [])]
    if not used:
        return []
    clusters = len({e.get("cluster") for e in used})
    both = any(sum(s != "dropped" for s in e.get("splits") or []) > 1 for e in used)
    what = ("so the network was taught, or tested on, different answers for one picture" if both else
            "and --duplicates drop kept the first copy's label, which may be the wrong one")
    return [f"{_count(clusters, 'cluster')} of duplicate images {'carries' if clusters == 1 else 'carry'} "
            f"different labels for the same task, {what}; train again with --duplicates drop-conflicts, and see "
            "Label conflicts under Data below."]


def _below(name: str, t: dict[str, Any]) -> str:
    if t.get("kind") == "regression":
        return (f"{name} does not beat its baseline: test MAE {num(value(t.get('mae')))} vs "
                f"{num(value(t.get('baseline_mae')))} for always predicting the training mean.")
    return (f"{name} does not beat its majority-class baseline: test accuracy {pct(value(t.get('accuracy')))} vs "
            f"{pct(value(t.get('baseline_accuracy')))} for always predicting the most frequent class.")


def _where(folder: ReportFolder) -> str:
    m = folder.metrics
    if folder.kind == "members":
        return f"on the test split of each of the {_members(folder)}"
    n = (m.get("splits") or {}).get(m.get("split", "test")) if isinstance(m.get("splits"), dict) else None
    return f"on the {m.get('split', 'test')} split" + (f" ({_count(n, 'image')})" if isinstance(n, int) else "")


def _members(folder: ReportFolder) -> str:
    n = len(folder.metrics.get("members") or {})
    return _count(n, "fold" if folder.metrics.get("kind") == "folds" else "seed")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
