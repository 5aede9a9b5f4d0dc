"""Write a CartoonSet-format folder of generated faces: ``synthesize``.

Layout (the same as CartoonSet, plus two files of our own)::

    OUT/0/ ... OUT/9/   image i goes to folder i % 10
        csX.png         RGBA, transparent background
        csX.csv         one line per attribute: "face_shape", 4, 7
        csX.mask.png    with masks=True: where each attribute is drawn (see toonlab.data.masks)
    OUT/hidden.csv      file,attribute rows: attributes that cannot be seen in that image
    OUT/masks.json      with masks=True: the attribute of each mask bit
    OUT/synth.json      generator version, n, size, seed, masks, file count, complete

Image i's attributes come from its own generator seeded with (seed, i), so the output
is byte-identical whatever the number of worker processes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toonlab.data.masks import MASKS_FILE, write_mask, write_mask_names
from toonlab.data.synth.attributes import ATTRIBUTES, hidden_attributes, sample_attributes
from toonlab.data.synth.render import MIN_SIZE, REGION_PARTS, render_face
from toonlab.errors import DataError, ToonlabError

log = logging.getLogger(__name__)

VERSION = "3"  # bump whenever the drawings (or REGION_PARTS) change, so old folders are not reused as if current
MANIFEST = "synth.json"
HIDDEN = "hidden.csv"
FOLDERS = 10
PNG_LEVEL = 1  # zlib level 1: flat-colour images compress almost as well as at 6, in half the time
_SAME_SET = ("generator", "version", "n", "size", "seed")  # manifest keys that decide what the faces are


@dataclass(frozen=True)
class SynthSummary:
    """What ``synthesize`` did: where, how many, and whether an existing folder was reused."""

    out: Path
    n: int
    size: int
    seed: int
    seconds: float
    reused: bool
    masks: bool = False  # the folder has region masks (a reused folder may have them though not asked for)


@dataclass(frozen=True)
class Item:
    """One image to write: its index, path relative to OUT and attributes."""

    index: int
    rel: str
    attrs: dict[str, int]


def synthesize(out: str | Path, *, n: int = 10000, size: int = 256, seed: int = 0, workers: int = 0,
               overwrite: bool = False, masks: bool = False,
               progress: Callable[[int, int], None] | None = None) -> SynthSummary:
    """Draw ``n`` cartoon faces into ``out`` in CartoonSet's format.

    Args:
        out: the folder to write (created if missing).
        n: number of images.
        size: width and height of each image in pixels.
        seed: the same seed gives byte-identical files.
        workers: processes to draw with; 0 = one per CPU core.
        overwrite: replace the generated files of a different set already in ``out``.
        masks: also write ``csX.mask.png`` beside each image and ``masks.json``: where each
            attribute is drawn (``toonlab.data.masks``). A set without masks is redrawn when
            masks are asked for; a set with masks is reused when they are not.
        progress: called as ``progress(done, total)`` while drawing.

    Returns:
        A ``SynthSummary``; ``reused`` is True when ``out`` already held exactly this set.

    Raises:
        DataError: ``out`` holds something else and ``overwrite`` is False.

    Example:
        >>> summary = synthesize("toons", n=100, size=128)  # doctest: +SKIP
    """
    _check_options(n, size, seed, workers)
    folder, start = Path(out).expanduser(), time.perf_counter()
    manifest = {"generator": "toonlab synth", "version": VERSION, "n": n, "size": size, "seed": seed,
                "masks": bool(masks), "files": _file_count(n, masks)}
    state = _folder_state(folder, manifest)
    if state == "same":
        log.info("Reusing the %d faces already in %s", n, folder)
        has_masks = bool((_read_manifest(folder) or {}).get("masks"))
        return SynthSummary(folder, n, size, seed, time.perf_counter() - start, reused=True, masks=has_masks)
    if state == "other" and not overwrite:
        raise DataError(_occupied_message(folder))
    _remove_generated(folder)
    items = plan(n, seed)
    for d in range(FOLDERS):
        (folder / str(d)).mkdir(parents=True, exist_ok=True)
    _write_json(folder / MANIFEST, {**manifest, "complete": False})
    _render_all(folder, items, size, bool(masks), workers or os.cpu_count() or 1, progress)
    _write_hidden(folder / HIDDEN, items)
    if masks:
        write_mask_names(folder, list(ATTRIBUTES), size)
    _write_json(folder / MANIFEST, {**manifest, "complete": True})
    seconds = time.perf_counter() - start
    log.debug("Wrote %d faces of %d px to %s in %.1f s", n, size, folder, seconds)
    return SynthSummary(folder, n, size, seed, seconds, reused=False, masks=bool(masks))


def _file_count(n: int, masks: bool) -> int:
    """Files in the ten sub-folders: csX.png and csX.csv, plus csX.mask.png with masks."""
    return (3 if masks else 2) * n


def _check_options(n: int, size: int, seed: int, workers: int) -> None:
    for name, value, low in (("n", n, 1), ("size", size, MIN_SIZE), ("seed", seed, 0), ("workers", workers, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ToonlabError(f"{name} must be an integer of at least {low}. Received: {name}={value!r}")


def image_attributes(seed: int, index: int) -> dict[str, int]:
    """The attributes of image ``index`` of the set made with ``seed`` (its own generator, so order never matters)."""
    return sample_attributes(np.random.default_rng(np.random.SeedSequence([seed, index])))


def plan(n: int, seed: int) -> list[Item]:
    """Attributes, ids and paths of all ``n`` images; equal attributes get distinct, deterministic ids."""
    items, taken = [], set()
    for i in range(n):
        attrs = image_attributes(seed, i)
        key = ",".join(str(v) for v in attrs.values())
        name, copy = _digest(key), 1
        while name in taken:  # the same 18 values twice: number the copies in index order
            copy += 1
            name = _digest(f"{key}#{copy}")
        taken.add(name)
        items.append(Item(i, f"{i % FOLDERS}/cs{name}.png", attrs))
    return items


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def attribute_csv(attrs: dict[str, int]) -> str:
    """CartoonSet's sidecar text: ``"name", index, count`` per line."""
    return "".join(f'"{name}", {attrs[name]}, {count}\n' for name, count in ATTRIBUTES.items())


def _render_all(folder: Path, items: list[Item], size: int, masks: bool, workers: int,
                progress: Callable[[int, int], None] | None) -> None:
    """Draw and save every item, in ``workers`` processes over chunks of indices."""
    report = progress or (lambda done, total: None)
    report(0, len(items))
    per_chunk = max(4, min(64, len(items) // (workers * 8) or 1))
    chunks = [(str(folder), size, masks, items[i:i + per_chunk]) for i in range(0, len(items), per_chunk)]
    done = 0
    if workers == 1 or len(chunks) == 1:
        for chunk in chunks:
            done += _render_chunk(chunk)
            report(done, len(items))
        return
    # fork where it exists: workers start at once and need no importable __main__.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with context.Pool(min(workers, len(chunks))) as pool:
        for count in pool.imap_unordered(_render_chunk, chunks):
            done += count
            report(done, len(items))


def _render_chunk(job: tuple[str, int, bool, list[Item]]) -> int:
    folder, size, masks, items = job
    for item in items:
        path = Path(folder) / item.rel
        if masks:
            image, regions = render_face(item.attrs, size, masks=True, parts=REGION_PARTS)
            write_mask(path, regions, list(ATTRIBUTES))
        else:
            image = render_face(item.attrs, size)
        image.save(path, "PNG", compress_level=PNG_LEVEL)
        path.with_suffix(".csv").write_text(attribute_csv(item.attrs), encoding="utf-8")
    return len(items)


def _write_hidden(path: Path, items: list[Item]) -> None:
    rows = [f"{item.rel},{name}\n" for item in items for name in sorted(hidden_attributes(item.attrs))]
    path.write_text("file,attribute\n" + "".join(rows), encoding="utf-8")


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # atomic: a reader never sees half a manifest


def _folder_state(folder: Path, manifest: dict) -> str:
    """"empty", "same" (this exact set, complete), "partial" (this set, unfinished) or "other"."""
    if folder.exists() and not folder.is_dir():
        raise DataError(f"{str(folder)!r} is a file; synthesize needs a folder to write into. Received: out={str(folder)!r}")
    if not folder.exists() or not any(folder.iterdir()):
        return "empty"
    found = _read_manifest(folder)
    if found is None or any(found.get(k) != manifest[k] for k in _SAME_SET):
        return "other"
    if manifest["masks"] and not found.get("masks"):
        return "partial"  # the same faces without masks: redraw them with masks (no overwrite needed)
    files = _file_count(manifest["n"], bool(found.get("masks")))
    complete = (found.get("complete") is True and found.get("files") == files and _count_generated(folder) == files
                and (not found.get("masks") or (folder / MASKS_FILE).is_file()))
    return "same" if complete else "partial"


def _read_manifest(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _generated_files(folder: Path) -> list[Path]:
    """Files this generator writes: csX.png / .csv / .mask.png in the ten sub-folders, hidden.csv,
    masks.json, synth.json."""
    found = [folder / name for name in (HIDDEN, MASKS_FILE, MANIFEST) if (folder / name).is_file()]
    for d in range(FOLDERS):
        sub = folder / str(d)
        if sub.is_dir():
            found += [Path(e.path) for e in os.scandir(sub)
                      if e.name.startswith("cs") and e.name.endswith((".png", ".csv")) and e.is_file()]
    return found


def _count_generated(folder: Path) -> int:
    if not (folder / HIDDEN).is_file():
        return -1
    return sum(1 for p in _generated_files(folder) if p.parent != folder)


def _remove_generated(folder: Path) -> None:
    """Delete what an earlier run wrote (and nothing else), before writing a new set."""
    for path in _generated_files(folder) if folder.is_dir() else []:
        path.unlink()


def _occupied_message(folder: Path) -> str:
    found = _read_manifest(folder)
    if found is not None:
        what = (f"a synthetic set made with n={found.get('n')}, size={found.get('size')}, seed={found.get('seed')} "
                f"(generator version {found.get('version')})")
    else:
        what = "files that are not a toonlab synthetic set"
    return (f"{str(folder)!r} already holds {what}. Choose an empty or new folder, or pass overwrite=True "
            f"(`toonlab synth OUT --overwrite`) to replace the generated files in it. Received: out={str(folder)!r}")
