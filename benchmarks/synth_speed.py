"""The data path's speed: drawing the built-in faces, then building the image cache from them.

Both steps run on every core (``--workers 0``); the cache build is also timed in one process, side by
side, so the JSON says what the second core buys. Prints JSON: n, size, workers, the drawing's seconds
and images/s (and bytes written per image), and per cache build its seconds and images/s.
Targets: 10,000 images at 256 px drawn in under 60 s on a 2-core machine; the cache at 128 px.

    python benchmarks/synth_speed.py --n 10000 --size 256 --cache-size 128
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from toonlab.data.cache import build_cache
from toonlab.data.synth import synthesize


def main() -> None:
    args = _parse()
    workers = args.workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "toons"
        start = time.perf_counter()
        synthesize(out, n=args.n, size=args.size, seed=args.seed, workers=workers)
        seconds = time.perf_counter() - start
        pngs = sorted(out.rglob("*.png"))
        written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        report = {"n": args.n, "size": args.size, "workers": workers, "seconds": round(seconds, 2),
                  "images_per_s": round(args.n / seconds, 1), "bytes_per_image": round(written / args.n)}
        if args.cache_size:
            report["cache"] = {f"{w}_workers": _cache(pngs, args.cache_size, w, Path(tmp) / f"cache{w}")
                               for w in dict.fromkeys((1, workers))}
    print(json.dumps(report, indent=2))


def _cache(pngs: list[Path], size: int, workers: int, folder: Path) -> dict[str, float]:
    """Seconds and images/s of one cache build of ``pngs`` at ``size`` px into an empty ``folder``."""
    start = time.perf_counter()
    build_cache(pngs, size=size, cache_dir=folder, workers=workers)
    seconds = time.perf_counter() - start
    return {"cache_size": size, "seconds": round(seconds, 2), "images_per_s": round(len(pngs) / seconds, 1)}


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="images to draw")
    parser.add_argument("--size", type=int, default=256, help="image size in pixels")
    parser.add_argument("--cache-size", type=int, default=128, help="cache image size; 0 = time the drawing only")
    parser.add_argument("--workers", type=int, default=0, help="processes; 0 = one per CPU core")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


if __name__ == "__main__":
    main()
