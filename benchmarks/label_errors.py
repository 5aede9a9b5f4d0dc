"""Issue 23: how well ``toonlab audit`` finds labels flipped on purpose (precision and recall of its flags).

For the built-in set (drawn with ``toonlab synth``) or a zoo set (``benchmarks/zoo/data/<set>``, built by
``benchmarks/zoo/build.py``; use ``emoji`` or ``dicebear-micah``, never the held-out avataaars style), the
labels are read once, ``--flip`` of each task's drawn labels are changed to another class at random
(seeded), and the result is written as a manifest CSV beside the work folder. ``toonlab audit`` then runs
on that manifest, and its flags are compared with the flipped (file, task) pairs. Prints JSON: per task
and overall, flipped, flagged, true positives, precision and recall, and the audit's plan and time::

    python benchmarks/label_errors.py --set builtin --n 2000 --tasks hair_color,face_color --json /tmp/le.json
    python benchmarks/label_errors.py --set emoji --n 2000
    python benchmarks/label_errors.py --set builtin --n 10000 --size 256 --folds 3 \
        --config src/toonlab/recipes/demo.yaml            # issue 23's target: the demo's network per fold
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

import numpy as np

ZOO = Path(__file__).resolve().parent / "zoo" / "data"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    root, options = _data(args, work)
    audited = options.get("tasks", "all") if args.tasks == "all" else args.tasks
    manifest, flipped = flip_labels(root, options, work / "flipped.csv", audited.split(","), fraction=args.flip,
                                    seed=args.seed, limit=args.n)
    # the manifest also has a 'group' column: name the tasks, so that it is not read as one
    result = run_audit(root, manifest, {**options, "tasks": ",".join(flipped)}, work / "audit", args)
    report = score(flipped, result.rows, list(flipped))
    report["ranked"] = precision_at_recall(flipped, result.rows, args.recall)
    report.update({"set": args.set, "images": args.n, "flip": args.flip, "plan": result.plan,
                   "audit_seconds": result.seconds, "oof_accuracy": {t: s["oof_accuracy"]
                                                                     for t, s in result.tasks.items()}})
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text, encoding="utf-8")
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--set", default="builtin", help="'builtin' (toonlab synth) or a zoo set: emoji, dicebear-micah.")
    p.add_argument("--n", type=int, default=2000, help="Images (builtin: drawn; zoo: the first N).")
    p.add_argument("--size", type=int, default=64, help="builtin: side of the drawn faces in pixels.")
    p.add_argument("--tasks", default="all", help="Comma list of tasks to flip and audit, or 'all'.")
    p.add_argument("--flip", type=float, default=0.03, help="Share of each task's drawn labels flipped.")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=0, help="Epochs per fold network; 0 = the audit recipe's.")
    p.add_argument("--image-size", type=int, default=0, help="Image size of the fold networks; 0 = the recipe's.")
    p.add_argument("--config", default="", help="A recipe for the fold networks over the audit's (e.g. "
                   "src/toonlab/recipes/demo.yaml: the demo's network, 128 px).")
    p.add_argument("--recall", type=float, default=0.8, help="Report the precision of the ranked flags where "
                   "they first reach this recall (issue 23: >= 0.8 at 0.8).")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--zoo", default=str(ZOO), help="Folder written by benchmarks/zoo/build.py (holds zoo.json).")
    p.add_argument("--work", default="label-errors-work", help="Folder for the drawn set, the manifest, the audit.")
    p.add_argument("--json", help="Also write the JSON here.")
    p.add_argument("--progress", action="store_true", help="Show progress bars.")
    return p


def _data(args: argparse.Namespace, work: Path) -> tuple[Path, dict]:
    """The data folder and the label options that read it (tasks narrowed to ``--tasks``)."""
    import toonlab

    if args.set == "builtin":
        root = work / f"builtin-{args.n}-{args.size}"
        toonlab.synth(root, n=args.n, size=args.size, seed=args.seed, progress=args.progress)
        return root, {}
    if "avataaars" in args.set:
        raise SystemExit("The avataaars style is held out of every benchmark; use emoji or dicebear-micah.")
    zoo = json.loads((Path(args.zoo) / "zoo.json").read_text(encoding="utf-8"))
    entry = next((s for s in zoo["sets"] if s["name"] == args.set), None)
    if entry is None:
        raise SystemExit(f"No set {args.set!r} in {args.zoo}/zoo.json; build it with benchmarks/zoo/build.py.")
    return Path(args.zoo) / entry["folder"], _cli_options(entry["args"])


def _cli_options(words: list[str]) -> dict:
    """``["--source", "manifest", "--labels", "x.csv"]`` → ``{"source": "manifest", "labels": "x.csv"}``."""
    return {words[i][2:].replace("-", "_"): words[i + 1] for i in range(0, len(words), 2)}


def flip_labels(root: Path, options: dict, manifest: Path, tasks: list[str], *, fraction: float, seed: int,
                limit: int) -> tuple[Path, dict[str, set[str]]]:
    """Write ``manifest`` (file, group, one column per task of the set) with ``fraction`` of the drawn labels
    of each of ``tasks`` ('all' = every task) moved to another class; return it and ``{task: flipped files}``."""
    from toonlab.data.sources import SourceOptions, load_labels
    from toonlab.config import DataConfig

    cfg = DataConfig(path=str(root), **{k: v for k, v in options.items() if k != "tasks"})
    labels = load_labels(root, source=cfg.source, tasks=options.get("tasks", "all"), limit=limit,
                         options=SourceOptions.from_config(cfg))
    rng = np.random.default_rng(seed)
    files = [Path(os.path.relpath(s.path, root)).as_posix() for s in labels.samples]
    table = {name: [s.labels.get(name) for s in labels.samples] for name in labels.tasks}
    flipped: dict[str, set[str]] = {}
    for name, spec in labels.tasks.items():
        if name not in tasks and tasks != ["all"]:
            continue
        drawn = [i for i, s in enumerate(labels.samples) if name in s.labels and name not in s.hidden]
        chosen = rng.choice(drawn, size=round(fraction * len(drawn)), replace=False) if drawn else []
        for i in chosen:
            table[name][i] = int(rng.choice([k for k in range(spec.num_classes) if k != table[name][i]]))
        flipped[name] = {files[i] for i in chosen}
    _write_manifest(manifest, files, labels, table)
    return manifest, flipped


def _write_manifest(path: Path, files: list[str], labels, table: dict[str, list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "group", *labels.tasks])
        for i, file in enumerate(files):
            cells = ["" if table[t][i] is None else labels.tasks[t].classes[int(table[t][i])] for t in labels.tasks]
            writer.writerow([file, labels.samples[i].group or "", *cells])


def run_audit(root: Path, manifest: Path, options: dict, out: Path, args: argparse.Namespace):
    import toonlab

    # labels that are not drawn: the audit reads the set's own visibility table from DATA, as train does
    keys = {"source": "manifest", "labels": str(manifest.resolve()), "tasks": options.get("tasks", "all"),
            "folds": args.folds, "seed": args.seed, "progress": args.progress}
    if options.get("group"):
        keys["group"] = "group"
    keys.update({k: v for k, v in (("epochs", args.epochs), ("image_size", args.image_size)) if v})
    return toonlab.audit(root, out, config=args.config or None, **keys)


def score(flipped: dict[str, set[str]], rows: list[dict], tasks: list[str]) -> dict:
    """Per task and overall: flipped, flagged, true positives, precision, recall."""
    per_task = {}
    for task in tasks:
        flagged = {r["file"] for r in rows if r["task"] == task}
        per_task[task] = _pr(len(flipped[task]), len(flagged), len(flagged & flipped[task]))
    totals = [sum(t[k] for t in per_task.values()) for k in ("flipped", "flagged", "true_positives")]
    return {"overall": _pr(*totals), "tasks": per_task}


def precision_at_recall(flipped: dict[str, set[str]], rows: list[dict], recall: float) -> dict:
    """The flags of all tasks ranked by margin (p(suggested) - p(given)), largest first: the precision at the
    first rank where the flags reach ``recall`` of the flipped labels, or at the last flag if they never do."""
    margin = lambda r: float(r["confidence"]) - float(r["given_probability"])  # noqa: E731
    ranked = sorted(rows, key=margin, reverse=True)
    total, hits = sum(len(f) for f in flipped.values()), 0
    for n, row in enumerate(ranked, 1):
        hits += row["file"] in flipped.get(row["task"], ())
        if total and hits / total >= recall:
            break
    else:
        n = len(ranked)
    return {"at_recall": recall, "min_margin": round(margin(ranked[n - 1]), 4) if n else None,
            **_pr(total, n, hits)}


def _pr(flipped: int, flagged: int, hits: int) -> dict:
    return {"flipped": flipped, "flagged": flagged, "true_positives": hits,
            "precision": round(hits / flagged, 4) if flagged else None,
            "recall": round(hits / flipped, 4) if flipped else None}


if __name__ == "__main__":
    sys.exit(main())
