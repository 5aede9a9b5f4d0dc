"""What a data folder holds, counted once: images by depth, sidecar CSVs, class sub-folders and top-level tables.

``survey_folder`` is what layout detection (:mod:`toonlab.data.sources.detect`) decides from and
what its messages quote, so a user who is told "no layout fits" also learns what was found.

Example:
    >>> survey = survey_folder("myimgs")  # doctest: +SKIP
    >>> survey.images, survey.classes  # doctest: +SKIP
    (120, {'cat': 40, 'dog': 40, 'fox': 40})
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from toonlab.data.masks import MASK_SUFFIX
from toonlab.data.sources.base import IMAGE_SUFFIXES, find_files, is_image_name
from toonlab.data.visibility import HIDDEN_FILE, VISIBILITY_FILE

TABLE_SUFFIXES = (".csv", ".tsv")
PEEK_ROWS = 20  # rows of a table read to find its column of image paths


@dataclass(frozen=True)
class Survey:
    """The facts about a data folder that say how it is labelled.

    Attributes:
        root: the data folder.
        images: image files anywhere under ``root`` (``.mask.png`` files of ``toonlab synth --masks`` left out).
        top: images directly in ``root``.
        classes: first-level sub-folder -> images directly inside it.
        deeper: images two or more folder levels down.
        levels: the distinct folder depths of the images (0 = top level), sorted.
        folders: first-level sub-folders holding images at any depth.
        pngs: ``.png`` images; ``sidecars``: those with a same-named ``.csv`` beside them (CartoonSet).
        tables: top-level ``.csv``/``.tsv`` files that are neither sidecars nor visibility tables.
        file_columns: table -> its column of image paths (tables without one are left out).
        suffix: the most common image extension (e.g. ``.png``), for the commands suggested.
        files: every file under ``root`` (hidden ones left out).
    """

    root: Path
    images: int = 0
    top: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    deeper: int = 0
    levels: tuple[int, ...] = ()
    folders: tuple[str, ...] = ()
    pngs: int = 0
    sidecars: int = 0
    tables: tuple[str, ...] = ()
    file_columns: dict[str, str] = field(default_factory=dict)
    suffix: str = ".png"
    files: int = 0

    def describe(self) -> str:
        """The facts as one phrase, e.g. ``"120 images (120 directly in 3 sub-folder(s): cat, dog, fox); no
        sidecar .csv files; no CSV/TSV at the top level"``."""
        where = [f"{self.top} at the top level"] if self.top else []
        if self.classes:
            where.append(f"{sum(self.classes.values())} directly in {len(self.classes)} sub-folder(s): "
                         f"{_some(list(self.classes))}")
        if self.deeper:
            where.append(f"{self.deeper} two or more levels down")
        sidecars = (f"{self.sidecars} of {self.pngs} .png images have a sidecar .csv" if self.sidecars
                    else "no sidecar .csv files")
        tables = f"CSV/TSV at the top level: {_some(list(self.tables))}" if self.tables else "no CSV/TSV at the top level"
        return f"{self.images} images ({'; '.join(where)}); {sidecars}; {tables}"


def survey_folder(root: str | Path, *, file_column: str = "file") -> Survey:
    """Count what ``root`` holds (one walk of the folder; tables are peeked at, not read whole).

    Args:
        root: the data folder.
        file_column: the column of image paths; only with the default ``"file"`` is another column whose
            values are image file names taken instead.
    """
    root = Path(root)
    files = find_files(root)
    names = set(files)
    images = [r for r in files if is_image_name(r) and not r.lower().endswith(MASK_SUFFIX)]
    pngs = [r for r in images if r.lower().endswith(".png")]
    depth = Counter(r.count("/") for r in images)
    classes = Counter(r.split("/", 1)[0] for r in images if r.count("/") == 1)
    tables = tuple(r for r in files if _is_table(r, names))
    guess = file_column == "file"
    columns = {t: c for t in tables if (c := find_file_column(root / t, file_column, guess=guess))}
    suffixes = Counter(r[r.rfind("."):].lower() for r in images)  # every image name ends in a known suffix
    return Survey(root, len(images), depth[0], dict(sorted(classes.items())), len(images) - depth[0] - depth[1],
                  tuple(sorted(depth)), tuple(sorted({r.split("/", 1)[0] for r in images if "/" in r})), len(pngs),
                  sum(1 for r in pngs if r[:-4] + ".csv" in names), tables, columns,
                  suffixes.most_common(1)[0][0] if suffixes else ".png", len(files))


def find_file_column(path: Path, preferred: str = "file", *, guess: bool = True) -> str:
    """The column of ``path`` that lists image files: ``preferred`` if the header has it, else (with ``guess``)
    the first column whose values in the first rows are mostly image file names; ``""`` when none (or the file
    cannot be read)."""
    header, rows = _peek(path)
    if preferred in header or not guess:
        return preferred if preferred in header else ""
    for i, name in enumerate(header):
        values = [row[i] for row in rows if i < len(row) and row[i].strip()]
        if values and 2 * sum(is_image_name(v.strip()) for v in values) > len(values):
            return name
    return ""


def _some(names: list[str], n: int = 6) -> str:
    return ", ".join(names[:n]) + (f", … ({len(names) - n} more)" if len(names) > n else "")


def _is_table(rel: str, names: set[str]) -> bool:
    """A top-level CSV/TSV that is not a sidecar (``X.csv`` beside ``X.png``) nor a visibility table."""
    if "/" in rel or not rel.lower().endswith(TABLE_SUFFIXES) or rel in (VISIBILITY_FILE, HIDDEN_FILE):
        return False
    stem = rel.rsplit(".", 1)[0]
    return not any(stem + s in names for s in (*IMAGE_SUFFIXES, *(s.upper() for s in IMAGE_SUFFIXES)))


def _peek(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and first rows of a table, split as :func:`toonlab.data.tables.read_table` splits them."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            lines = [line for _, line in zip(range(PEEK_ROWS + 1), (ln for ln in f if ln.strip()))]
    except OSError:
        return [], []
    if not lines:
        return [], []
    first = lines[0]
    delimiter = "\t" if "\t" in first else "," if "," in first or ";" not in first else ";"
    try:
        rows = [[f.strip() for f in row] for row in csv.reader(io.StringIO("".join(lines)), delimiter=delimiter)]
    except csv.Error:  # not a table we can read; the manifest source says why if it is used
        return [], []
    return (rows[0], rows[1:]) if rows else ([], [])
