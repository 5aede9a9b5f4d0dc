"""Label sources: turn a data folder into a ``LabelSet`` of samples, tasks and skipped items.

Registered sources (``SOURCES.names()``): ``cartoonset`` (per-image sidecar CSVs),
``manifest`` (one CSV/TSV), ``folders`` (class = parent folder) and ``filename``
(a regex with named groups over each file's path); ``auto`` (the default) detects which one fits
(:mod:`toonlab.data.sources.detect`). ``load_labels`` is the entry point.
"""

from toonlab.data.sources.base import (IMAGE_SUFFIXES, SOURCES, SourceOptions, check_root, find_files,
                                       find_images, is_image_name, parse_tasks, select_tasks, split_list)
from toonlab.data.sources.detect import AUTO, Layout, detect_layout
from toonlab.data.sources.load import apply_limit, load_labels
from toonlab.data.sources import cartoonset  # noqa: F401  (registers the source)
from toonlab.data.sources import filename, folders, manifest  # noqa: F401  (register the sources)

__all__ = ["AUTO", "IMAGE_SUFFIXES", "SOURCES", "Layout", "SourceOptions", "apply_limit", "check_root", "detect_layout",
           "find_files", "find_images", "is_image_name", "load_labels", "parse_tasks", "select_tasks", "split_list"]
