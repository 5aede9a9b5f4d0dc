"""Build the public zoo of drawn-image sets toonlab did not draw (plus the built-in set), offline.

    python benchmarks/zoo/build.py [--out DIR] [--sets a,b] [--n N] [--size PX] [--seed S] [--workers W]
    python benchmarks/zoo/build.py --verify --n 200      # build twice, compare the sha256 of every file

Sets: dicebear-STYLE for each DiceBear style in builders.STYLES (CartoonSet layout + visibility.csv),
emoji (a manifest over several vendors) and builtin (``toonlab synth``). The pinned npm packages of
package-lock.json are installed with ``npm ci`` when benchmarks/zoo/node_modules is missing; nothing
else is downloaded. Every choice comes from a seeded PRNG, so a rebuild is byte-identical.
DIR/zoo.json lists each set with the toonlab label options its commands need. Progress lines are
printed as the sets are built, and a JSON summary (sets, images, seconds) last.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import builders
import node_render

DEFAULT_OUT = node_render.ZOO / "data"
ZOO_FILE = "zoo.json"


def build(out: Path, sets: list[str], *, n: int, size: int, seed: int, workers: int) -> dict[str, Any]:
    """Build ``sets`` under ``out``, update ``out/zoo.json``; the summary: images and seconds per set."""
    node_render.ensure_node_modules()
    out.mkdir(parents=True, exist_ok=True)
    entries, summary, start = _read_zoo(out), {}, time.perf_counter()
    for name in sets:
        began = time.perf_counter()
        folder = out / name
        builders.prepare(folder)
        entry = builders.builder(name)(folder, n=n, size=size, seed=seed, workers=workers,
                                       progress=_progress(name, n))
        entries[name] = entry
        seconds = round(time.perf_counter() - began, 1)
        summary[name] = {"images": entry["images"], "seconds": seconds}
        print(f"{name}: {entry['images']} images in {seconds} s -> {folder}", flush=True)
        _write_zoo(out, entries)
    return {"out": str(out), "sets": summary, "images": sum(s["images"] for s in summary.values()),
            "seconds": round(time.perf_counter() - start, 1)}


def _progress(name: str, total: int) -> Callable[[int], None]:
    """A callback printing ``name: done/total`` at every tenth of the set."""
    step = max(1, total // 10)

    def report(done: int) -> None:
        if done % step == 0 and done < total:
            print(f"{name}: {done}/{total}", flush=True)
    return report


def _read_zoo(out: Path) -> dict[str, dict[str, Any]]:
    """The entries already in ``out/zoo.json`` by name ({} if none), so a partial build keeps the others."""
    path = out / ZOO_FILE
    if not path.is_file():
        return {}
    return {entry["name"]: entry for entry in json.loads(path.read_text(encoding="utf-8"))["sets"]}


def _write_zoo(out: Path, entries: dict[str, dict[str, Any]]) -> None:
    ordered = [entries[name] for name in builders.SETS if name in entries]
    text = json.dumps({"sets": ordered}, indent=1, sort_keys=True) + "\n"
    (out / ZOO_FILE).write_text(text, encoding="utf-8")


def file_hashes(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``root``."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def verify(sets: list[str], *, n: int, size: int, seed: int, workers: int) -> dict[str, Any]:
    """Build ``sets`` twice into temporary folders and compare the sha256 of every file.

    Returns:
        ``{"files": count, "identical": bool, "different": [paths], "missing": [paths]}``.
    """
    hashes = []
    for attempt in (1, 2):
        with tempfile.TemporaryDirectory(prefix=f"zoo-verify{attempt}-") as tmp:
            print(f"verify: build {attempt} of 2 in {tmp}", flush=True)
            build(Path(tmp), sets, n=n, size=size, seed=seed, workers=workers)
            hashes.append(file_hashes(Path(tmp)))
    first, second = hashes
    different = sorted(p for p in first.keys() & second.keys() if first[p] != second[p])
    missing = sorted(first.keys() ^ second.keys())
    return {"files": len(first), "identical": not different and not missing,
            "different": different[:20], "missing": missing[:20]}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default benchmarks/zoo/data)")
    parser.add_argument("--sets", default="all", help=f"comma list of sets or 'all': {', '.join(builders.SETS)}")
    parser.add_argument("--n", type=int, default=3000, help="images per set (emoji: n // vendors emoji, each "
                                                            "drawn by every vendor); default 3000")
    parser.add_argument("--size", type=int, default=128, help="image side in pixels (default 128)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    parser.add_argument("--workers", type=int, default=0, help="render processes (0 = one per CPU core)")
    parser.add_argument("--verify", action="store_true", help="build twice into temporary folders and compare "
                                                              "the sha256 of every file; exit 1 if any differs")
    args = parser.parse_args(argv)
    args.sets = list(builders.SETS) if args.sets == "all" else [s.strip() for s in args.sets.split(",") if s.strip()]
    unknown = [s for s in args.sets if s not in builders.SETS]
    if unknown or args.n < 1 or args.size < 8:
        parser.error(f"--sets takes names from {', '.join(builders.SETS)}, --n >= 1 and --size >= 8. "
                     f"Received: --sets {','.join(args.sets)} --n {args.n} --size {args.size}")
    args.workers = args.workers or os.cpu_count() or 1
    return args


def main(argv: list[str] | None = None) -> int:
    """The command line: build (or ``--verify``) and print the JSON summary last; the exit code."""
    args = _parse(argv)
    options = dict(n=args.n, size=args.size, seed=args.seed, workers=args.workers)
    try:
        result = verify(args.sets, **options) if args.verify else build(args.out, args.sets, **options)
    except node_render.RenderError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0 if result.get("identical", True) else 1


if __name__ == "__main__":
    sys.exit(main())
