"""Issue 19: toonlab's first model against a plain hand-written script, on every set of the public zoo.

For each zoo set (built by ``benchmarks/zoo/build.py``), on the same split and seed:

(a) ``toonlab train SET`` with no options (only the label options the set's layout needs),
(b) the plain PyTorch script of ``benchmarks/plain_cnn.py`` on exactly the images, labels and split
    that (a) used (read back from (a)'s run folder),
(c) ``toonlab tune SET --budget B`` (skipped with ``--tune-budget 0``).

Each gets a fresh image cache, so (a) and (c) pay for decoding like (b) does. Wall times are whole
commands (decoding, training, evaluation). Prints a table per set and task (accuracy, accuracy where
the label is drawn) and, last, the JSON of everything::

    python benchmarks/zoo/build.py
    python benchmarks/defaults.py --tune-budget 10m --json /tmp/defaults.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plain_cnn import load_images, predict_plain, train_plain  # noqa: E402

ZOO = Path(__file__).resolve().parent / "zoo" / "data"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    zoo = json.loads((Path(args.zoo) / "zoo.json").read_text(encoding="utf-8"))
    sets = _chosen(zoo["sets"], args.sets)
    out = Path(args.out or tempfile.mkdtemp(prefix="toonlab-defaults-"))
    results: dict = {}
    text = _summary(out, args, results)
    for entry in sets:
        results[entry["name"]] = run_set(entry, Path(args.zoo), out / entry["name"], args)
        print(format_set(entry["name"], results[entry["name"]]), file=sys.stderr, flush=True)
        text = _summary(out, args, results)
        if args.json:  # after every set, so a long run that is stopped keeps what it measured
            Path(args.json).write_text(text, encoding="utf-8")
    print(text)
    return 0


def _summary(out: Path, args: argparse.Namespace, results: dict) -> str:
    return json.dumps({"out": str(out), "tune_budget": args.tune_budget, "toonlab_args": args.toonlab_args,
                       "sets": results, "verdict": verdict(results)}, indent=2)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--zoo", default=str(ZOO), help="Folder written by benchmarks/zoo/build.py (holds zoo.json).")
    p.add_argument("--sets", default="", help="Comma list of set names (default: all).")
    p.add_argument("--out", default="", help="Where run folders go (default: a new temp folder, kept).")
    p.add_argument("--tune-budget", default="30m", help="Budget of `toonlab tune` per set; 0 skips it.")
    p.add_argument("--plain-epochs", type=int, default=12,
                   help="Epochs of the plain script (issue 19: 12); 0 skips it.")
    p.add_argument("--json", default="", help="Also write the JSON here.")
    p.add_argument("--toonlab-args", default="", help="Extra words for (a), e.g. '--epochs 20' to try a default.")
    return p


def _chosen(sets: list[dict], names: str) -> list[dict]:
    wanted = [n for n in names.split(",") if n]
    unknown = set(wanted) - {s["name"] for s in sets}
    if unknown:
        raise SystemExit(f"Unknown sets {sorted(unknown)}; the zoo has {[s['name'] for s in sets]}.")
    return [s for s in sets if not wanted or s["name"] in wanted]


def run_set(entry: dict, zoo: Path, out: Path, args: argparse.Namespace) -> dict:
    """(a), (b) and (c) on one set."""
    folder = str(zoo / entry["folder"])
    label_args = list(entry.get("args", []))
    result = {"images": entry.get("images")}
    extra = args.toonlab_args.split()
    result["default"] = run_toonlab(["train", folder, "--out", str(out / "default"), *label_args, *extra],
                                    out / "default")
    if args.plain_epochs:
        result["plain"] = run_plain(out / "default", epochs=args.plain_epochs)
    if args.tune_budget not in ("0", ""):
        tune_out = out / "tune"
        result["tune"] = run_toonlab(["tune", folder, "--out", str(tune_out), "--budget", args.tune_budget,
                                      *label_args], tune_out, final=_tune_run)
    return result


def _tune_run(tune_out: Path) -> Path:
    """The final run of a tune: the finalist ``OUT/finalists.csv`` marks as final."""
    table = tune_out / "finalists.csv"
    rows = list(csv.DictReader(table.open(encoding="utf-8"))) if table.exists() else []
    return next((tune_out / r["run"] for r in rows if r["final"] == "1"), tune_out / "final-missing")


def run_toonlab(words: list[str], run: Path, final=lambda run: run) -> dict:
    """Run ``python -m toonlab WORDS`` with a fresh image cache; its wall time and the per-task accuracies
    in ``final(run)/metrics.json``."""
    with tempfile.TemporaryDirectory(prefix="toonlab-cache-") as cache:
        env = {**os.environ, "TOONLAB_CACHE": cache}
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "toonlab", *words], env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    (run.parent / f"{run.name}.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        return {"error": (done.stderr or done.stdout).strip().splitlines()[-1:], "wall_s": round(seconds, 1)}
    metrics = json.loads((final(run) / "metrics.json").read_text(encoding="utf-8"))
    tasks = {name: _scores(m.get("accuracy"), m.get("accuracy_visible")) for name, m in metrics["tasks"].items()
             if m.get("accuracy") is not None}
    return {"wall_s": round(seconds, 1), "tasks": tasks, **_means(tasks), "epochs": metrics.get("epochs")}


def run_plain(run: Path, *, epochs: int) -> dict:
    """The plain script on (a)'s images, labels and split; wall time from decoding to test predictions."""
    samples, root, classes = _labels_of(run)
    split = _read_splits(run / "splits.csv")
    samples = [s for s in samples if _rel(s.path, root) in split]
    names = list(classes)
    labels = np.array([[s.labels.get(t, -1) for t in names] for s in samples], dtype=np.int64)
    hidden = np.array([[t in s.hidden for t in names] for s in samples], dtype=bool)
    which = np.array([split[_rel(s.path, root)] for s in samples])
    train_rows, test_rows = np.flatnonzero(which == "train"), np.flatnonzero(which == "test")
    start = time.perf_counter()
    images = load_images([str(s.path) for s in samples])
    net = train_plain(images, labels, train_rows, classes, epochs=epochs)
    preds = predict_plain(net, images, test_rows)
    seconds = time.perf_counter() - start
    tasks = {t: _accuracies(preds[t], labels[test_rows, j], hidden[test_rows, j]) for j, t in enumerate(names)}
    return {"wall_s": round(seconds, 1), "tasks": tasks, **_means(tasks), "epochs": epochs}


def _labels_of(run: Path):
    """The samples, data folder and classification tasks of a toonlab run, from its saved config."""
    from toonlab.config import from_dict, load_yaml
    from toonlab.data.sources import SourceOptions, load_labels

    cfg = from_dict(load_yaml(run / "config.yaml"))
    labelset = load_labels(cfg.data.path, source=cfg.data.source, tasks=cfg.data.tasks, limit=cfg.data.limit,
                           options=SourceOptions.from_config(cfg.data))
    classes = {t: spec.num_classes for t, spec in labelset.tasks.items() if not spec.is_regression}
    return labelset.samples, Path(cfg.data.path), classes


def _read_splits(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8") as f:
        return {row["file"]: row["split"] for row in csv.DictReader(f)}


def _rel(path, root: Path) -> str:
    return Path(path).resolve().relative_to(root.resolve()).as_posix()


def _accuracies(pred: np.ndarray, y: np.ndarray, hidden: np.ndarray) -> dict:
    have = y >= 0
    acc = float((pred[have] == y[have]).mean()) if have.any() else None
    drawn = have & ~hidden
    vis = float((pred[drawn] == y[drawn]).mean()) if hidden.any() and drawn.any() else None
    return _scores(acc, vis)


def _scores(acc, vis) -> dict:
    return {"accuracy": acc, "accuracy_drawn": vis if vis is not None else acc}


def _means(tasks: dict) -> dict:
    accs = [t["accuracy"] for t in tasks.values()]
    drawn = [t["accuracy_drawn"] for t in tasks.values()]
    return {"mean": float(np.mean(accs)) if accs else None, "mean_drawn": float(np.mean(drawn)) if drawn else None}


def verdict(results: dict) -> dict:
    """Issue 19 item 3, per set: does (a) beat (b)'s mean accuracy in no more wall time?"""
    out = {}
    for name, r in results.items():
        a, b = r.get("default", {}), r.get("plain", {})
        if a.get("mean") is None or b.get("mean") is None:
            continue
        out[name] = {"default_beats_plain": a["mean"] > b["mean"], "time_ratio": round(a["wall_s"] / b["wall_s"], 3),
                     "met": a["mean"] > b["mean"] and a["wall_s"] <= b["wall_s"]}
        if r.get("tune", {}).get("mean") is not None:
            out[name]["tune_beats_default"] = r["tune"]["mean"] > a["mean"]
    return out


def format_set(name: str, r: dict) -> str:
    """One table: a row per task, a column pair (accuracy, where drawn) per way of training."""
    ways = [w for w in ("default", "plain", "tune") if r.get(w, {}).get("tasks")]
    head = f"{'task':<24}" + "".join(f"{w + ' acc':>14}{'drawn':>9}" for w in ways)
    lines = [f"== {name} ({r.get('images')} images)", head, "-" * len(head)]
    tasks = list(r[ways[0]]["tasks"]) if ways else []
    for t in tasks:
        cells = "".join(_pair(r[w]["tasks"].get(t, {})) for w in ways)
        lines.append(f"{t:<24}{cells}")
    lines.append(f"{'mean':<24}" + "".join(_pair({"accuracy": r[w]["mean"], "accuracy_drawn": r[w]["mean_drawn"]})
                                           for w in ways))
    lines.append(f"{'wall time':<24}" + "".join(f"{r[w]['wall_s']:>13.0f}s{'':>9}" for w in ways))
    errors = [f"{w}: {r[w]['error']}" for w in ("default", "tune") if "error" in r.get(w, {})]
    return "\n".join(lines + errors)


def _pair(m: dict) -> str:
    pct = lambda v: f"{100 * v:.1f}%" if v is not None else "-"  # noqa: E731
    return f"{pct(m.get('accuracy')):>14}{pct(m.get('accuracy_drawn')):>9}"


if __name__ == "__main__":
    sys.exit(main())
