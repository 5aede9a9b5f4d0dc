"""Reading the small CSV/TSV tables users give toonlab (a manifest of labels, a visibility table).

The delimiter is a tab if the first non-blank line has one, else a comma, else ``;``; fields are
stripped; blank rows are left out; every row keeps its line number for error messages.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from toonlab.errors import DataError

Row = tuple[int, list[str]]  # (line number, stripped fields)


def read_table(path: Path, *, what: str = "Labels file",
               needs: str = "a header row naming the columns (e.g. 'file,age,sex') and one row per image"
               ) -> tuple[list[str], list[Row]]:
    """The header and the non-blank rows of ``path``; ``what`` and ``needs`` word the errors.

    Raises:
        DataError: the file cannot be read, is empty, or its header repeats or leaves out a column name.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{what} {str(path)!r} cannot be read ({e}). Save it as UTF-8 text (CSV or TSV).") from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if "\t" in first else "," if "," in first or ";" not in first else ";"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = [(reader.line_num, [f.strip() for f in row]) for row in reader if any(f.strip() for f in row)]
    except csv.Error as e:  # a field over csv.field_size_limit(), or a NUL byte before Python 3.11
        raise DataError(f"{what} {str(path)!r} line {reader.line_num} cannot be parsed as CSV/TSV: {e}. "
                        f"It needs {needs}.") from None
    if not rows:
        raise DataError(f"{what} {str(path)!r} is empty. It needs {needs}.")
    header = rows[0][1]
    bad = [h for h in header if not h or header.count(h) > 1]
    if bad:
        raise DataError(f"The header of {what.lower()} {str(path)!r} (line {rows[0][0]}) needs distinct, non-empty "
                        f"column names. Rename the column(s) {', '.join(repr(b) for b in dict.fromkeys(bad))}. "
                        f"Received: {delimiter.join(header)!r}")
    return header, rows[1:]
