"""Issue 20, item 9: the fixed cost around the work a command does, side by side for two versions.

For each version (a git ref, checked out into a temporary worktree, and the working tree) it times:

- ``toonlab --help`` (imports and parser only);
- ``toonlab train`` on a small set with a warm image cache: the command's wall time minus the
  training time it reports (``metrics.json`` ``wall_time_s``): imports, data preparation,
  evaluation, plots and the report;
- ``toonlab predict`` on 100 images of a trained run.

Each is run ``--repeats`` times, alternating the versions (so a noisy machine hits both alike),
and the median is reported. Prints JSON.

    python benchmarks/fixed_cost.py --before c404844
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="toonlab-fixed-cost-"))
    versions = {"after": REPO / "src"}
    if args.before:
        versions = {"before": _checkout(args.before, work / "before"), **versions}
    try:
        out = _run(versions, work, args)
    finally:
        if args.before:  # the temporary checkout must not stay registered in the repository
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(work / "before")],
                           capture_output=True)
    print(json.dumps(out, indent=2))
    return 0


def _run(versions: dict[str, Path], work: Path, args: argparse.Namespace) -> dict:
    """Every measurement for every version, alternating; the medians and all values."""
    data = _synth(work / "data", n=args.images, src=versions["after"])
    results = {name: {"help_s": [], "train_fixed_s": [], "train_total_s": [], "predict_100_s": []}
               for name in versions}
    for i in range(args.repeats):
        for name, src in versions.items():
            _measure(results[name], src, data, work / f"{name}-{i}", epochs=args.epochs)
    summary = {name: {key: round(statistics.median(values), 2) for key, values in r.items()}
               for name, r in results.items()}
    return {"images": args.images, "epochs": args.epochs, "repeats": args.repeats, "median": summary,
            "all": results}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", help="Git ref of the version to compare with (default: only the working tree).")
    p.add_argument("--images", type=int, default=300, help="Faces in the small set (default 300).")
    p.add_argument("--epochs", type=int, default=2, help="Training epochs (default 2).")
    p.add_argument("--repeats", type=int, default=3, help="Runs per version, alternating (default 3).")
    return p


def _checkout(ref: str, where: Path) -> Path:
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(where), ref], check=True,
                   capture_output=True)
    return where / "src"


def _synth(out: Path, *, n: int, src: Path) -> Path:
    _toonlab(src, ["synth", str(out), "--n", str(n), "--size", "64", "-q"], cache=None)
    return out


def _measure(into: dict, src: Path, data: Path, run: Path, *, epochs: int) -> None:
    cache = run.parent / "cache"  # shared by the runs of all versions: warm after the first
    into["help_s"].append(_toonlab(src, ["--help"], cache=cache))
    total = _toonlab(src, ["train", str(data), "--out", str(run), "--epochs", str(epochs), "--image-size", "32",
                           "--no-progress"], cache=cache)
    trained = json.loads((run / "metrics.json").read_text(encoding="utf-8"))["wall_time_s"]
    into["train_total_s"].append(total)
    into["train_fixed_s"].append(total - trained)
    images = sorted(data.rglob("*.png"))[:100]
    into["predict_100_s"].append(_toonlab(src, ["predict", str(run), *map(str, images)], cache=cache))


def _toonlab(src: Path, words: list[str], *, cache: Path | None) -> float:
    """Wall seconds of ``python -m toonlab WORDS`` with ``src`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    if cache is not None:
        env["TOONLAB_CACHE"] = str(cache)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "toonlab", *words], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0 and words != ["--help"]:
        raise SystemExit(f"toonlab {' '.join(words[:2])} failed ({src}):\n{done.stderr[-2000:]}")
    return seconds


if __name__ == "__main__":
    sys.exit(main())
