"""Sweep throughput with 1 and with N worker processes: the same small grid, trials per minute, and the ratio.

Draws a small built-in cartoon set once and decodes it into the image cache, then runs the same grid sweep twice into fresh folders
(SQLite study in each, or ``--storage URL`` with a study name per run): once with 1 worker (all
cores to it), once with ``--workers`` processes (cores split between them). Prints JSON.

    python benchmarks/sweep_scaling.py                     # 6-point grid, 1 vs 2 workers
    python benchmarks/sweep_scaling.py --workers 4 --images 800 --epochs 4
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from toonlab.data.synth import synthesize
from toonlab.sweep import load_sweep
from toonlab.sweep.run import run_sweep
from toonlab.testing import write_tiny_sweep

GRID = {"model.head_width": {"grid": [16, 32, 64]}, "train.lr": {"grid": [0.003, 0.001]}}


def main() -> None:
    args = _parse()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "toons"
        synthesize(data, n=args.images, size=128, seed=0)
        sweep_file = write_tiny_sweep(tmp / "grid.yaml", GRID, epochs=args.epochs)
        _set_size(sweep_file, args.size, tmp / "cache")
        _warm_cache(sweep_file, data)
        runs = {n: _run(sweep_file, data, tmp / f"sweep-{n}", n, args.storage) for n in (1, args.workers)}
    one, many = runs[1], runs[args.workers]
    print(json.dumps({
        "points": one["trials"], "images": args.images, "epochs": args.epochs, "image_size": args.size,
        "cpu_cores": os.cpu_count(), "workers": args.workers,
        "seconds": {"1": one["seconds"], str(args.workers): many["seconds"]},
        "trials_per_minute": {"1": one["per_minute"], str(args.workers): many["per_minute"]},
        "speedup": round(many["per_minute"] / one["per_minute"], 3),
    }, indent=2))


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2, help="Worker processes of the second run (default 2).")
    p.add_argument("--images", type=int, default=1000, help="Faces drawn for the sweep (default 1000).")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--size", type=int, default=48, help="Training image size (default 48).")
    p.add_argument("--storage", help="Database URL for both runs (default: an SQLite file in each sweep folder).")
    return p.parse_args()


def _set_size(sweep_file: Path, size: int, cache: Path) -> None:
    """The tiny sweep at the benchmark's image size, on the built-in set's tasks, with one shared cache."""
    import yaml

    doc = yaml.safe_load(sweep_file.read_text())
    doc["config"]["data"].update(image_size=size, cache_dir=str(cache), tasks="face_shape,hair_color,eye_color")
    sweep_file.write_text(yaml.safe_dump(doc, sort_keys=False))


def _warm_cache(sweep_file: Path, data: Path) -> None:
    """Decode the images once before timing, so neither run pays for the cache."""
    from toonlab.data.dataset import load_and_cache

    cfg = load_sweep(sweep_file).base
    cfg.data.path = str(data)
    load_and_cache(cfg.data)


def _run(sweep_file: Path, data: Path, out: Path, workers: int, storage: str | None) -> dict:
    spec = load_sweep(sweep_file)
    start = time.perf_counter()
    report = run_sweep(spec, out, storage=storage, workers=workers, data=str(data), name=f"scaling-{workers}-{os.getpid()}",
                       say=lambda _: None)
    seconds = time.perf_counter() - start
    done = [r for r in report.rows if r.state == "complete"]
    return {"trials": len(done), "seconds": round(seconds, 1), "per_minute": round(60 * len(done) / seconds, 2)}


if __name__ == "__main__":
    main()
