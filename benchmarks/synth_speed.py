"""Speed of the built-in face generator: ``synthesize`` into a temporary folder.

Prints JSON: n, size, workers, seconds, images_per_s (and the bytes written per image).
The target is 10,000 images at 256 px in under 60 s on a 2-core machine.

    python benchmarks/synth_speed.py --n 10000 --size 256
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from toonlab.data.synth import synthesize


def main() -> None:
    args = _parse()
    workers = args.workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "toons"
        start = time.perf_counter()
        synthesize(out, n=args.n, size=args.size, seed=args.seed, workers=workers)
        seconds = time.perf_counter() - start
        written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(json.dumps({"n": args.n, "size": args.size, "workers": workers, "seconds": round(seconds, 2),
                      "images_per_s": round(args.n / seconds, 1), "bytes_per_image": round(written / args.n)}))


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10000, help="images to draw")
    parser.add_argument("--size", type=int, default=256, help="image size in pixels")
    parser.add_argument("--workers", type=int, default=0, help="processes; 0 = one per CPU core")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


if __name__ == "__main__":
    main()
