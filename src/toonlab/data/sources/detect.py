"""``--source auto`` (the default): look at the data folder and pick the label source that fits its layout.

The layouts, strongest first:

- labels written down in files: sidecar CSVs beside the images (``cartoonset``), or one CSV/TSV at the
  top level with a column of image paths (``manifest``, which then is ``--labels``);
- labels implied by folder names: every image directly inside a first-level sub-folder, at least two
  of them (``folders``; Keras' ``image_dataset_from_directory`` layout).

``--labels`` alone means ``manifest`` and ``--pattern`` alone means ``filename``. When no layout fits, or
two of the strongest kind do, :func:`detect_layout` raises a ``DataError`` that says what the folder
holds and gives the command for each layout that could be meant.

Example:
    >>> layout = detect_layout("myimgs")  # doctest: +SKIP
    >>> layout.describe()  # doctest: +SKIP
    'Layout: class sub-folders (3 classes, 120 images); --source folders'
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, replace
from pathlib import Path

from toonlab.data.sources.base import MAKE_DATA, SourceOptions
from toonlab.data.sources.survey import Survey, survey_folder
from toonlab.errors import DataError

AUTO = "auto"
WRITTEN, IMPLIED = 2, 1  # how strongly a layout states its labels: in files, or only by folder names


@dataclass(frozen=True)
class Layout:
    """A label source that fits the data folder, with the options it needs and why it was chosen.

    Attributes:
        source: the registered source name.
        options: the source options, with ``labels``/``file_column`` filled in for a detected manifest.
        why: what was seen, e.g. ``"class sub-folders (3 classes, 120 images)"``.
        flags: the command-line options that choose this layout explicitly, e.g. ``"--source folders"``.
        strength: ``WRITTEN`` (labels in files) or ``IMPLIED`` (labels from folder names).
    """

    source: str
    options: SourceOptions
    why: str
    flags: str
    strength: int = WRITTEN

    def describe(self) -> str:
        """One line for the user: ``"Layout: <what was seen>; <the options that choose it>"``."""
        return f"Layout: {self.why}; {self.flags}"


def detect_layout(root: str | Path, options: SourceOptions | None = None) -> Layout:
    """The label source that fits ``root``'s layout (see the module doc for the rules).

    Args:
        root: the data folder.
        options: the label options given; ``labels`` or ``pattern`` decide the source on their own.

    Returns:
        The chosen ``Layout``; its ``options`` are what the source is called with.

    Raises:
        DataError: the folder holds no images, no layout fits, or several fit equally; the message says
            what was found and gives the command for each plausible layout.
    """
    options = options or SourceOptions()
    if options.labels:
        return Layout("manifest", options, f"--labels {options.labels} given", "--source manifest")
    if options.pattern:
        return Layout("filename", options, "--pattern given", "--source filename")
    survey = survey_folder(root, file_column=options.file_column)
    if survey.images == 0:
        raise DataError(f"No images found in {str(survey.root)!r} (image files end in .png, .jpg, .jpeg, .bmp, "
                        f".gif, .webp, .tif or .tiff; it holds {survey.files} other file(s)), so its layout cannot "
                        f"be detected. Point DATA at the folder that holds your images, or {MAKE_DATA}.")
    found = candidates(survey, options)
    best = [c for c in found if c.strength == max(c.strength for c in found)] if found else []
    if len(best) != 1:
        raise DataError(_no_layout(survey, best))
    others = [c.flags for c in found if c is not best[0]]
    also = f" (also possible: {' or '.join(others)})" if others else ""
    return replace(best[0], flags=best[0].flags + also)


def candidates(survey: Survey, options: SourceOptions) -> list[Layout]:
    """Every layout that fits the surveyed folder, labels in files first."""
    found = []
    if survey.sidecars and 2 * survey.sidecars >= survey.pngs:
        found.append(Layout("cartoonset", options, f"CartoonSet sidecar CSVs ({survey.sidecars} of {survey.pngs} "
                            ".png images have X.csv beside them)", "--source cartoonset"))
    for table, column in survey.file_columns.items():
        found.append(Layout("manifest", replace(options, labels=table, file_column=column),
                            f"one manifest {table} (image paths in column {column!r})",
                            _manifest_flags(table, column)))
    if len(survey.classes) >= 2 and survey.levels == (1,) and not any(c.source == "cartoonset" for c in found):
        found.append(Layout("folders", options, f"class sub-folders ({len(survey.classes)} classes, "
                            f"{survey.images} images)", "--source folders", IMPLIED))
    return found


def layout_commands(survey: Survey, *, verb: str = "train", exclude: str = "") -> list[str]:
    """The command for each layout the folder could be in (except the source ``exclude``), with when it applies.

    Example:
        >>> layout_commands(Survey(Path("imgs"), images=4, top=4, levels=(0,)))[0][:38]
        '`toonlab train imgs --source filename '
    """
    data = shlex.quote(str(survey.root))
    run = f"toonlab {verb} {data}"
    out = []
    if survey.sidecars and exclude != "cartoonset":
        out.append(f"`{run} --source cartoonset` (a sidecar X.csv beside each X.png)")
    if exclude != "manifest":
        out += [_table_command(run, table, survey.file_columns.get(table, "")) for table in survey.tables]
    if (survey.classes or survey.deeper) and exclude != "folders":
        out += _folder_commands(survey, run, verb)
    ext = survey.suffix.replace(".", "\\.")
    if exclude != "filename":
        out.append(f"`{run} --source filename --pattern '(?P<label>[^_/]+)_[^/]*{ext}$'` (labels in file names "
                   "such as cat_001; the label is the name up to the first '_'; edit the regex to your names)")
    if not survey.classes and not survey.deeper and exclude != "folders":
        out.append(f"move each image into a sub-folder named after its class, then `{run} --source folders`")
    if not survey.tables:
        out.append(f"write a labels.csv into DATA with the columns file,label and one row per image, then "
                   f"`{run} --source manifest --labels labels.csv`")
    return out


def _folder_commands(survey: Survey, run: str, verb: str) -> list[str]:
    out = [f"`{run} --source folders` (class = each image's folder path relative to DATA; images at the top "
           "level are skipped)"]
    deepest = max(survey.levels)
    if deepest >= 2 and len(survey.levels) == 1:
        tasks = ",".join(f"level{i}" for i in range(1, deepest + 1))
        out.append(f"`{run} --source folders --tasks {tasks}` (one task per folder level; name them as you like)")
    if survey.folders and not survey.top and (deepest >= 2 or len(survey.folders) == 1):
        first = survey.folders[0]
        inner = shlex.quote(str(survey.root / first))
        why = (f"every image is under {first}/" if len(survey.folders) == 1 else
               f"if each of {', '.join(f + '/' for f in survey.folders[:4])} holds class folders (e.g. splits)")
        out.append(f"`toonlab {verb} {inner}` ({why}: point DATA at the folder whose sub-folders are "
                   "the classes)")
    return out


def _table_command(run: str, table: str, column: str) -> str:
    if column:
        return f"`{run} {_manifest_flags(table, column)}` (the table {table} lists the images)"
    return (f"`{run} --source manifest --labels {shlex.quote(table)} --file-column COLUMN` ({table} has no column "
            "of image file names in its first rows; name the column that holds each image's path)")


def _manifest_flags(table: str, column: str) -> str:
    flags = f"--source manifest --labels {shlex.quote(table)}"
    return flags + (f" --file-column {shlex.quote(column)}" if column != "file" else "")


def _no_layout(survey: Survey, tied: list[Layout]) -> str:
    """The error when no layout, or more than one of the strongest kind, fits."""
    if tied:
        what = "; ".join(t.why for t in tied)
        commands = "; ".join(f"`toonlab train {shlex.quote(str(survey.root))} {t.flags}`" for t in tied)
        return (f"Several label layouts fit {str(survey.root)!r} equally: {what}. Say which one with --source "
                f"(data.source): {commands} (check, eval, tune and compare take the same options). "
                f"Found: {survey.describe()}.")
    return (f"Cannot tell how the images in {str(survey.root)!r} are labelled: {_why_none(survey)}. "
            f"Found: {survey.describe()}. Choose the layout with --source (data.source); the command for each "
            f"that could fit (check, eval, tune and compare take the same options): "
            + "; ".join(layout_commands(survey)) + ".")


def _why_none(survey: Survey) -> str:
    """Why none of the detectable layouts fits, in a phrase."""
    if survey.sidecars:
        return (f"only {survey.sidecars} of {survey.pngs} .png images have a sidecar .csv, too few for the "
                "CartoonSet layout")
    if len(survey.levels) > 1:
        return "the images sit at different folder depths, so folder names are not one class each"
    if survey.levels[0] >= 2:
        return f"the images are {survey.levels[0]} folder levels down, so it is unclear which level is the class"
    if survey.levels[0] == 1:
        return f"every image is in the one sub-folder {survey.folders[0]}/, which would make a single class"
    tables = f"; {', '.join(survey.tables)} has no column of image file names" if survey.tables else ""
    return f"every image is at the top level, with no sidecar CSVs and no CSV/TSV that lists them{tables}"


def other_layouts(root: str | Path, *, source: str, file_column: str = "file", verb: str = "train") -> str:
    """What ``root`` holds and the command for each layout other than ``source`` it could be in (a sentence,
    for errors about a source that found nothing usable)."""
    survey = survey_folder(root, file_column=file_column)
    return (f"The folder holds {survey.describe()}. If its labels are read another way, try: "
            + "; ".join(layout_commands(survey, verb=verb, exclude=source)) + ".")
