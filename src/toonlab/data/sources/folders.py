"""The ``folders`` source: the class is the folder an image sits in (Keras ``image_dataset_from_directory``).

Without ``--tasks`` there is one task, ``class``, whose value is the image's folder relative
to the data folder (``impressionism/monet/x.png`` -> ``impressionism/monet``). With
``--tasks style,artist`` the folder levels are the tasks in order: style = first level,
artist = second; images at another depth are skipped. Regression tasks read folder names as numbers.

Example:
    >>> labels = load_labels("paintings", source="folders", tasks="style,artist")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from toonlab.data.encode import Record, encode_records
from toonlab.data.samples import LabelSet, Skipped
from toonlab.data.sources.base import SOURCES, SourceOptions, check_regression, find_files, is_image_name

CLASS_TASK = "class"


@SOURCES.register("folders")
def folders(root: Path, *, tasks: list[str] | None, options: SourceOptions | None = None) -> LabelSet:
    """Labels from folder names: one task ``class`` (the whole folder path), or one task per folder level.

    Args:
        root: the data folder; each image's folder is relative to it.
        tasks: None or ``["class"]`` for one task ``class``; otherwise one task name per folder level.
        options: ``regression`` (tasks whose folder names are numbers); other options are not used.

    Example:
        >>> # a/x.png, b/y.png -> task 'class' with classes ('a', 'b')
    """
    options = options or SourceOptions()
    levels = None if tasks is None or tasks == [CLASS_TASK] else list(tasks)
    check_regression(options.regression, levels or [CLASS_TASK], what="task")
    records: list[Record] = []
    skipped: list[Skipped] = []
    for rel in find_files(root):
        values, problem = folder_labels(rel, levels)
        if problem:
            skipped.append(Skipped(str(root / rel), problem))
        else:
            records.append(Record(root / rel, values, where=f"folder {PurePosixPath(rel).parent.as_posix()!r}"))
    return encode_records(records, levels or [CLASS_TASK], regression=options.regression, skipped=skipped)


def folder_labels(rel: str, levels: list[str] | None) -> tuple[dict[str, str], str]:
    """The labels of the file at ``rel`` (relative, forward slashes) and ``""``, or ``{}`` and why it is skipped.

    Example:
        >>> folder_labels("impressionism/monet/x.png", None)
        ({'class': 'impressionism/monet'}, '')
        >>> folder_labels("impressionism/monet/x.png", ["style", "artist"])
        ({'style': 'impressionism', 'artist': 'monet'}, '')
    """
    path = PurePosixPath(rel)
    if not is_image_name(rel):
        return {}, f"not an image file ({path.suffix or 'no extension'})"
    parts = path.parent.parts
    if not parts:
        return {}, "not inside a class folder: put each image in a folder named after its class"
    if levels is None:
        return {CLASS_TASK: path.parent.as_posix()}, ""
    if len(parts) != len(levels):
        return {}, (f"{len(parts)} folder level(s) deep, but the tasks {', '.join(levels)} need exactly "
                    f"{len(levels)} (one folder level per task)")
    return dict(zip(levels, parts)), ""
