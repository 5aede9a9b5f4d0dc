"""From a data folder to training arrays: labels → image cache → label matrix → seeded splits.

``prepare_data`` is what ``train`` and ``eval`` share. Images that fail to decode join
the label source's skipped items, so found = used + skipped always holds.
"""

from __future__ import annotations

import csv
import logging
import os
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from toonlab.config import DataConfig
from toonlab.data.cache import ImageCache, build_cache
from toonlab.data.samples import LabelSet, Skipped, TaskSpec
from toonlab.data.sources import SourceOptions, load_labels
from toonlab.data.sources.detect import other_layouts
from toonlab.data.exclude import exclude_listed
from toonlab.data.conflicts import Conflict, conflict_rows, describe, disagreements, drop_reason, report_entries
from toonlab.data.duplicates import DROP_MODES, cross_split, drop_rows, find_duplicates, group_keys_for
from toonlab.data.splits import choose_stratify_task, load_splits, make_splits, save_splits, subset_rows
from toonlab.data.trainable import check_trainable
from toonlab.errors import DataError

log = logging.getLogger(__name__)

SPLITS_FILE = "splits.csv"
SKIPPED_FILE = "skipped.csv"
SHOW_REASONS = 3  # skipped items quoted in the "no usable image" error


class NoUsableImages(DataError):
    """The label source found images or rows but none can be used.

    Attributes:
        labels: what the source returned (every item skipped, with its reason).
        advice: what the folder holds and the commands to try instead (for ``check``, which lists the reasons).
    """

    def __init__(self, labels: LabelSet, path: str, *, file_column: str = "file") -> None:
        shown = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in labels.skipped[:SHOW_REASONS])
        more = f" (and {len(labels.skipped) - SHOW_REASONS} more)" if len(labels.skipped) > SHOW_REASONS else ""
        self.labels = labels
        self.advice = other_layouts(path, source=labels.source, file_column=file_column)
        super().__init__(f"None of the {labels.found} images or rows found in {path!r} with --source {labels.source} "
                         f"can be used: {shown}{more}. {self.advice} `toonlab check {shlex.quote(path)}` lists every "
                         "file and row with its reason.")


@dataclass
class PreparedData:
    """Everything training and evaluation read, with rows aligned to ``rel_paths``.

    Attributes:
        root: the data folder.
        tasks: task specs in column order.
        rel_paths: each usable image's path relative to ``root``.
        images: (N, S, S, 3) uint8 memmap of usable images.
        labels: (N, T) float32: class indices (classification) or values (regression); NaN = no label.
        hidden: (N, T) bool, True where the task's label is not visible in the image.
        splits: ``{"train"|"val"|"test": row indices}``.
        skipped: every file or row that could not be used, with the reason.
        found: items the label source looked at (found == N + len(skipped)).
        groups: (N,) group keys (None = own group) used to split, or None when ungrouped.
        duplicates: clusters of exact/near-duplicate rows (after ``--duplicates drop``, none remain).
        conflicts: clusters whose copies disagree on a task's label, by file (``toonlab.data.conflicts``),
            found before ``--duplicates drop`` or ``drop-conflicts`` removed any copy; each says what was dropped.
        left_out: usable images that ``data.subset`` did not sample (found == N + skipped + left_out).
        source: the label source that read the labels; ``layout``: the detected layout's line ('' if named).
        cache_key: the image cache's key (a hash of every file's bytes, size and background; see
            :func:`toonlab.data.cache.cache_key`), or '' when not loaded through the cache.
    """

    root: Path
    tasks: dict[str, TaskSpec]
    rel_paths: list[str]
    images: np.ndarray
    labels: np.ndarray
    hidden: np.ndarray
    splits: dict[str, np.ndarray]
    skipped: list[Skipped]
    found: int
    stratified_by: str | None = None
    cache_reused: bool = False
    groups: np.ndarray | None = None
    duplicates: list[np.ndarray] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    left_out: int = 0
    source: str = ""
    layout: str = ""
    cache_key: str = ""

    def split_sizes(self) -> dict[str, int]:
        return {name: int(len(idx)) for name, idx in self.splits.items()}


def load_and_cache(cfg: DataConfig, *, progress=None) -> tuple[LabelSet, ImageCache, np.ndarray]:
    """Read labels, decode images into the cache; returns (labels, cache, usable row mask).

    Raises:
        NoUsableImages: the label source could use none of the images or rows it found.
    """
    labels = load_labels(cfg.path, source=cfg.source, tasks=cfg.tasks, limit=cfg.limit,
                         options=SourceOptions.from_config(cfg))
    if cfg.exclude:
        labels = exclude_listed(labels, cfg.exclude, root=cfg.path)
    if not labels.samples:
        raise NoUsableImages(labels, str(cfg.path), file_column=cfg.file_column)
    paths = [s.path for s in labels.samples]
    cache = build_cache(paths, size=cfg.image_size, background=cfg.background, grayscale=cfg.grayscale,
                        cache_dir=cfg.cache_dir or None, workers=cfg.workers, progress=progress)
    return labels, cache, np.asarray(cache.ok, dtype=bool)


def prepare_data(
    cfg: DataConfig, *, seed: int, run_dir: str | Path | None = None, reuse_splits: bool = False, progress=None,
    detect_duplicates: bool = True, for_training: bool = False,
) -> PreparedData:
    """Load, cache, de-duplicate and split ``cfg.path``; save (or, with ``reuse_splits``, reload) ``run_dir/splits.csv``.

    Duplicates (``cfg.duplicates``): ``drop`` keeps the first image of each cluster and reports the
    others as skipped; ``drop-conflicts`` does too, but drops every image of a cluster whose copies
    disagree on a label (:mod:`toonlab.data.conflicts`); ``group`` puts each cluster in one group so it
    never straddles splits; ``report`` only finds them (``duplicate_report`` says which straddle the
    splits and which disagree). ``detect_duplicates=False`` skips the search (a few seconds per 10k
    images) where nothing reads it, unless a drop mode needs it to know which rows exist.
    ``for_training`` refuses a task that cannot be learnt (one class only,
    :func:`toonlab.data.trainable.check_trainable`) before anything is written.
    """
    labelset, cache, ok = load_and_cache(cfg, progress=progress)
    rows = np.flatnonzero(ok)
    skipped = sorted([*labelset.skipped, *cache.failures], key=lambda s: Path(s.path).as_posix())
    if len(rows) == 0:  # every labelled image failed to decode
        raise NoUsableImages(replace(labelset, samples=[], skipped=skipped), str(cfg.path), file_column=cfg.file_column)
    images = _usable_rows(cache.images, rows)
    root, tasks = Path(cfg.path), labelset.tasks
    rel = [Path(os.path.relpath(labelset.samples[i].path, root)).as_posix() for i in rows]
    labels, hidden = _label_matrix(labelset, tasks, rows)
    search = detect_duplicates or cfg.duplicates in DROP_MODES
    clusters = find_duplicates(images, max_rms=cfg.duplicate_distance) if search else []
    found = disagreements(clusters, labels, hidden, tasks)
    conflicts = describe(clusters, found, labels=labels, hidden=hidden, tasks=tasks, files=rel, images=images)
    if cfg.duplicates in DROP_MODES and clusters:
        keep, skipped, conflicts = _drop_duplicates(cfg.duplicates, labelset, rows, rel, clusters, found, conflicts,
                                                    skipped)
        rows = rows[keep]
        rel, images, labels, hidden, _, _, clusters = _take(keep, rel, images, labels, hidden, None, None, [])
        if len(rows) == 0:  # every image was a copy whose labels disagree
            raise NoUsableImages(replace(labelset, samples=[], skipped=skipped), str(cfg.path),
                                 file_column=cfg.file_column)
    groups = _groups(labelset, rows, clusters if cfg.duplicates == "group" else [])
    strat = choose_stratify_task(tasks, cfg.stratify)
    column = stratify_column(labels[:, list(tasks).index(strat)], tasks[strat]) if strat else None
    left_out = 0
    if cfg.subset:
        keep = subset_rows(len(rel), cfg.subset, seed=seed, stratify=column, groups=groups)
        left_out = len(rel) - len(keep)
        rel, images, labels, hidden, groups, column, clusters = _take(
            keep, rel, images, labels, hidden, groups, column, clusters)
    if for_training:
        check_trainable(tasks, labels)
    splits_path = Path(run_dir) / SPLITS_FILE if run_dir else None
    if reuse_splits and splits_path is not None and splits_path.exists():
        splits = load_splits(splits_path, rel)
    else:
        splits = make_splits(len(rel), seed=seed, val_fraction=cfg.val_fraction, test_fraction=cfg.test_fraction,
                             stratify=column, groups=groups)
        if splits_path is not None:
            save_splits(splits_path, rel, splits)
    return PreparedData(root, tasks, rel, images, labels, hidden, splits, skipped, labelset.found,
                        stratified_by=strat, cache_reused=cache.reused, groups=groups, duplicates=clusters,
                        conflicts=conflicts, left_out=left_out, source=labelset.source, layout=labelset.layout,
                        cache_key=cache.key)


def stratify_column(values: np.ndarray, spec: TaskSpec, bins: int = 5) -> np.ndarray:
    """The labels to stratify by: class indices as they are; regression values binned into ``bins``
    quantiles (NaN stays NaN, its own stratum)."""
    if not spec.is_regression:
        return values
    known = values[~np.isnan(values)]
    if len(known) == 0:
        return values
    edges = np.unique(np.quantile(known, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.where(np.isnan(values), np.nan, np.searchsorted(edges, values, side="right")).astype(np.float32)


def duplicate_report(data: PreparedData) -> dict:
    """How many duplicate clusters there are, which of them straddle the splits (file names), and every
    cluster whose copies disagree on a label (``conflicts``: per task, files, labels and each file's split
    or 'dropped'; see :func:`toonlab.data.conflicts.report_entries`)."""
    crossing = cross_split(data.duplicates, data.splits)
    split_of = {data.rel_paths[r]: name for name, idx in data.splits.items() for r in np.asarray(idx).tolist()}
    return {"clusters": len(data.duplicates), "images": int(sum(len(c) for c in data.duplicates)),
            "cross_split": [{"files": [data.rel_paths[r] for r in c["rows"]], "splits": c["splits"]}
                            for c in crossing],
            "conflicts": report_entries(data.conflicts, split_of)}


def write_skipped(path: str | Path, skipped: list[Skipped]) -> None:
    """``file,reason`` for every item that was not used (an empty file with a header when none)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "reason"])
        writer.writerows((s.path, s.reason) for s in skipped)


def _label_matrix(labelset: LabelSet, tasks: dict[str, TaskSpec], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    names = list(tasks)
    labels = np.full((len(rows), len(names)), np.nan, dtype=np.float32)
    hidden = np.zeros((len(rows), len(names)), dtype=bool)
    for r, i in enumerate(rows):
        sample = labelset.samples[i]
        for j, name in enumerate(names):
            labels[r, j] = sample.labels.get(name, np.nan)
            hidden[r, j] = name in sample.hidden
    return labels, hidden


def _groups(labelset: LabelSet, rows: np.ndarray, clusters: list[np.ndarray]) -> np.ndarray | None:
    """Group keys of the usable rows (from the source, merged with duplicate clusters), or None."""
    keys = np.array([labelset.samples[i].group for i in rows], dtype=object)
    has_groups = any(k is not None for k in keys)
    if not clusters:
        return keys if has_groups else None
    return group_keys_for(clusters, len(rows), keys if has_groups else None)


def _drop_duplicates(mode: str, labelset: LabelSet, rows, rel, clusters, found, conflicts, skipped):
    """Keep the first image of each cluster; the rest become skipped items naming the kept copy. With
    ``drop-conflicts`` every image of a conflicting cluster goes, its reason naming the disagreeing labels.

    Returns the kept row positions, the skipped items (sorted) and the conflicts marking the dropped files."""
    whole = conflict_rows(clusters, found) if mode == "drop-conflicts" else np.zeros(0, np.int64)
    keeper = {int(r): int(c[0]) for c in clusters for r in c[1:]}
    drop, disagree = np.union1d(drop_rows(clusters), whole).astype(np.int64), set(whole.tolist())
    for r in drop.tolist():
        reason = drop_reason(conflicts, rel[r]) if r in disagree else (
            f"duplicate of {rel[keeper[r]]} (--duplicates {mode})")
        skipped.append(Skipped(str(labelset.samples[rows[r]].path), reason))
    gone = {rel[r] for r in drop.tolist()}
    conflicts = [replace(c, kept=tuple(f not in gone for f in c.files)) for c in conflicts]
    keep = np.setdiff1d(np.arange(len(rows)), drop)
    return keep, sorted(skipped, key=lambda s: Path(s.path).as_posix()), conflicts


def _take(keep: np.ndarray, rel: list[str], images, labels, hidden, groups, column, clusters):
    """Only the rows ``keep`` of every row-aligned array; duplicate clusters renumbered, those left with one row dropped."""
    if len(keep) == len(rel):
        return rel, images, labels, hidden, groups, column, clusters
    new = np.full(len(rel), -1, dtype=np.int64)
    new[keep] = np.arange(len(keep))
    remapped = [new[c][new[c] >= 0] for c in clusters]
    return ([rel[i] for i in keep], np.ascontiguousarray(images[keep]), labels[keep], hidden[keep],
            None if groups is None else groups[keep], None if column is None else column[keep],
            [c for c in remapped if len(c) > 1])


def _usable_rows(images: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The memmap itself when every image decoded (no copy); else only the usable rows."""
    if len(rows) == len(images):
        return images
    return np.ascontiguousarray(images[rows])


def regression_scales(tasks: dict[str, TaskSpec], train_labels: np.ndarray) -> dict[str, TaskSpec]:
    """Regression specs with ``center``/``scale`` set to the training split's mean and standard deviation."""
    out = dict(tasks)
    for j, (name, spec) in enumerate(tasks.items()):
        if spec.is_regression:
            y = train_labels[:, j][~np.isnan(train_labels[:, j])].astype(np.float64)
            if len(y) == 0:
                raise DataError(f"Regression task {name!r} has no labelled image in the training split.")
            out[name] = replace(spec, center=float(y.mean()), scale=float(y.std()) or 1.0)
    return out
