"""Label sources: turn a data folder into a ``LabelSet`` of samples, tasks and skipped items.

Registered sources (``SOURCES.names()``): ``cartoonset`` (per-image sidecar CSVs),
``manifest`` (one CSV/TSV), ``folders`` (class = parent folder) and ``filename``
(a regex with named groups over each file's path). ``load_labels`` is the entry point.
"""

from toonlab.data.sources.base import (IMAGE_SUFFIXES, SOURCES, SourceOptions, apply_limit, check_root,
                                       find_files, find_images, is_image_name, load_labels, parse_tasks,
                                       select_tasks, split_list)
from toonlab.data.sources import cartoonset  # noqa: F401  (registers the source)
from toonlab.data.sources import filename, folders, manifest  # noqa: F401  (register the sources)

__all__ = ["IMAGE_SUFFIXES", "SOURCES", "SourceOptions", "apply_limit", "check_root", "find_files", "find_images",
           "is_image_name", "load_labels", "parse_tasks", "select_tasks", "split_list"]
