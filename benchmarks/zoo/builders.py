"""One builder per kind of zoo set; each writes its folder and returns its zoo.json entry.

An entry holds: name, folder, args (the toonlab label options its commands need), tasks
(``{task: class count}``), classes (``{task: class names}``), images, visibility (a
``file,task...`` 0/1 table or None), hidden (toonlab's ``file,attribute`` table, the built-in set's, or None), source.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import avatars
import emoji_set
import node_render

ROOT = node_render.ZOO.parents[1]
STYLES = ("adventurer", "lorelei", "micah", "notionists", "open-peeps", "personas")  # never avataaars
EMOJI_ARGS = ["--source", "manifest", "--labels", "labels.csv", "--group", "emoji", "--tasks", "vendor,category"]

Progress = Callable[[int], None]


def build_dicebear(style: str, folder: Path, *, n: int, size: int, seed: int, workers: int,
                   progress: Progress) -> dict[str, Any]:
    """``n`` avatars of one DiceBear style in CartoonSet layout, with visibility.csv."""
    schema = node_render.query("schema", style)[style]
    options = avatars.style_options(schema["properties"])
    images = _sample_avatars(style, options, n, random.Random(f"{seed}:dicebear-{style}"))
    jobs = [{"style": style, "seed": name, "options": chosen, "png": str(folder / rel), "size": size,
             "probe_size": size, "probes": avatars.probes(options, labels)} for rel, name, chosen, labels in images]
    answers = node_render.stream("dicebear", jobs, workers=workers, progress=progress)
    tasks = [o for o in options if o.is_task]
    for rel, _, _, labels in images:
        (folder / rel).with_suffix(".csv").write_text(avatars.sidecar(options, labels), encoding="utf-8")
    visible = {rel: answer["visible"] for (rel, *_), answer in zip(images, answers)}
    _write_visibility(folder, [o.task for o in tasks], visible)
    packages = [f"@dicebear/{style}", "@dicebear/core", "@resvg/resvg-js"]
    return _entry(folder, [], {o.task: list(o.values) for o in tasks}, n, visibility="visibility.csv",
                  source={"packages": _versions(packages), "meta": schema["meta"],
                                                "drawn": _drawn_share(visible)})


def _sample_avatars(style: str, options: list[avatars.Option], n: int,
                    rng: random.Random) -> list[tuple[str, str, dict[str, Any], dict[str, int]]]:
    """``(relative png path, name, options, labels)`` for n distinct configurations, spread over 0..9."""
    images, seen = [], set()
    while len(images) < n:
        chosen, labels = avatars.sample(options, rng)
        name = avatars.image_name(style, chosen)
        if name not in seen:
            seen.add(name)
            images.append((f"{len(images) % 10}/{name}.png", name, chosen, labels))
    return images


def _write_visibility(folder: Path, tasks: list[str], visible: dict[str, dict[str, int]]) -> None:
    """visibility.csv: file plus one 0/1 column per task (toonlab reads it beside the labels)."""
    table = io.StringIO()
    rows = csv.writer(table, lineterminator="\n")
    rows.writerow(["file", *tasks])
    rows.writerows([rel, *(visible[rel][t] for t in tasks)] for rel in sorted(visible))
    (folder / "visibility.csv").write_text(table.getvalue(), encoding="utf-8")


def _drawn_share(visible: dict[str, dict[str, int]]) -> dict[str, float]:
    """The share of images in which each task is drawn (rounded to 0.001)."""
    tasks = next(iter(visible.values()), {})
    return {t: round(sum(v[t] for v in visible.values()) / len(visible), 3) for t in tasks}


def build_emoji(folder: Path, *, n: int, size: int, seed: int, workers: int, progress: Progress) -> dict[str, Any]:
    """About ``n`` renderings: n // vendors emoji, each drawn by every vendor; labels.csv is the manifest."""
    data, groups, vendors = emoji_set.load_sources(node_render.ZOO / "node_modules")
    candidates = emoji_set.common_emoji(data, groups, {v: vendors[v]["chars"] for v in emoji_set.VENDORS})
    order = emoji_set.shuffled(candidates, random.Random(f"{seed}:emoji"))
    chosen, failed = _render_emoji(order, n // len(emoji_set.VENDORS), folder, size, workers, progress)
    rows = emoji_set.rows(chosen)
    with (folder / "labels.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    categories = sorted({e.category for e in chosen})
    packages = [f"@iconify-json/{v}" for v in emoji_set.VENDORS] + ["emojibase-data", "@iconify/utils",
                                                                     "@resvg/resvg-js"]
    licences = {v: vendors[v]["info"]["license"]["spdx"] for v in emoji_set.VENDORS}
    return _entry(folder, EMOJI_ARGS, {"vendor": list(emoji_set.VENDORS), "category": categories}, len(rows) - 1,
                  source={"packages": _versions(packages), "licenses": licences, "emoji": len(chosen),
                          "candidates": len(candidates), "render_failures": failed})


def _render_emoji(order: list[emoji_set.Emoji], count: int, folder: Path, size: int, workers: int,
                  progress: Progress) -> tuple[list[emoji_set.Emoji], list[str]]:
    """Render emoji from the front of ``order`` until ``count`` rendered for every vendor (or none are left).

    An emoji that one vendor's drawing fails to render (resvg panics on a few) is left out with all
    its files, and the next emoji in ``order`` takes its place.
    """
    chosen: list[emoji_set.Emoji] = []
    failed: list[str] = []
    start = 0
    while len(chosen) < count and start < len(order):
        batch = order[start:start + count - len(chosen)]
        start += len(batch)
        answers = node_render.stream("emoji", emoji_set.jobs(batch, folder, size), workers=workers,
                                     progress=progress, skip_crashes=True)
        ok, errors = emoji_set.rendered(batch, answers)
        chosen += ok
        failed += errors
    kept = {e.key for e in chosen}
    for job in emoji_set.jobs([e for e in order[:start] if e.key not in kept], folder, size):
        Path(job["png"]).unlink(missing_ok=True)
    return chosen, failed


def build_builtin(folder: Path, *, n: int, size: int, seed: int, workers: int, progress: Progress) -> dict[str, Any]:
    """toonlab's own faces: ``python -m toonlab synth FOLDER --n N --size SIZE --seed SEED``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    options = ["--n", str(n), "--size", str(size), "--seed", str(seed)]
    cmd = [sys.executable, "-m", "toonlab", "synth", str(folder), *options, "--workers", str(workers)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise node_render.RenderError(f"{' '.join(cmd)} failed (exit code {done.returncode}). "
                                      f"Received: {done.stderr.strip()[-2000:]}")
    progress(n)
    counts = _sidecar_counts(next(folder.rglob("cs*.csv")))
    hidden = "hidden.csv" if (folder / "hidden.csv").is_file() else None
    return _entry(folder, [], {t: [str(i) for i in range(c)] for t, c in counts.items()}, n, hidden=hidden,
                  source={"command": ["toonlab", "synth", "DIR/" + folder.name, *options]})


def _sidecar_counts(path: Path) -> dict[str, int]:
    """``{task: class count}`` from one CartoonSet sidecar (lines ``"task", index, count``)."""
    fields = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {f[0].strip().strip('"'): int(f[2]) for f in fields}


def _entry(folder: Path, args: list[str], classes: dict[str, list[str]], images: int, *,
           visibility: str | None = None, hidden: str | None = None, source: dict[str, Any]) -> dict[str, Any]:
    return {"name": folder.name, "folder": folder.name, "args": args,
            "tasks": {t: len(c) for t, c in classes.items()}, "classes": classes, "images": images,
            "visibility": visibility, "hidden": hidden, "source": source}


def _versions(packages: list[str]) -> dict[str, str]:
    """Each package's version as pinned in package-lock.json."""
    lock = json.loads((node_render.ZOO / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    return {p: lock[f"node_modules/{p}"]["version"] for p in packages}


def builder(name: str) -> Callable[..., dict[str, Any]]:
    """The builder of set ``name`` (``dicebear-STYLE``, ``emoji`` or ``builtin``), with the style bound."""
    if name.startswith("dicebear-") and name[len("dicebear-"):] in STYLES:
        style = name[len("dicebear-"):]
        return lambda folder, **kw: build_dicebear(style, folder, **kw)
    return {"emoji": build_emoji, "builtin": build_builtin}[name]


SETS = tuple(f"dicebear-{s}" for s in STYLES) + ("emoji", "builtin")


def prepare(folder: Path) -> None:
    """An empty ``folder`` (a rebuild starts clean, so no stale file survives)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
