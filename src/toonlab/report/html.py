"""HTML building blocks of the report: escaped text, tables, embedded images, sections and the page.

Every function returns :class:`Raw`, a ``str`` that is already markup. Anything else handed to a
block (text read from a run's files, numbers) is escaped with :func:`html.escape`, so a file name or
class name holding ``<`` or ``&`` shows as written and can never inject markup. Images are embedded as
base64 ``data:`` URIs and the style sheet is inline: the page is one file with no external link and no
script.

Example:
    >>> str(table(["task", "acc"], [["<a>", "90%"]]))
    '<div class="wide"><table><tr><th>task</th><th>acc</th></tr><tr><td>&lt;a&gt;</td><td class="num">90%</td></tr></table></div>'
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Sequence

STYLE = """
html { background: #fff; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0 auto;
       max-width: 1200px; padding: 1em 2em 3em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
.meta, .note, figcaption { color: #666; font-size: 0.9em; }
nav a { margin-right: 0.9em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: middle; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; background: #fafafa; }
.wide { overflow-x: auto; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.6em; overflow-x: auto; font-size: 0.85em;
      white-space: pre-wrap; overflow-wrap: anywhere; }
figure { display: inline-block; margin: 0 1em 1em 0; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figure.half { max-width: 48%; }
pre.columns { column-width: 20em; column-rule: 1px solid #ddd; }
img.thumb { max-width: 72px; max-height: 72px; border: 1px solid #ddd; display: block; }
div.matrix { display: inline-block; vertical-align: top; margin: 0 1.5em 1em 0; max-width: 100%; overflow-x: auto; }
table.confusion caption { font-weight: bold; padding-bottom: 0.3em; }
table.confusion td { text-align: center; min-width: 2em; }
table.confusion.dense td, table.confusion.dense th { min-width: 0; width: 5px; height: 5px; padding: 0; border: 0; }
.headline .big { font-size: 2em; font-weight: bold; font-variant-numeric: tabular-nums; }
.headline p { margin: 0.2em 0; }
ul.warnings li { color: #8a1c1c; }
svg.chart { max-width: 100%; height: auto; font-size: 11px; }
svg.chart .tick, svg.chart .value { fill: #555; font-variant-numeric: tabular-nums; }
svg.chart .axis-label { fill: #333; font-size: 11px; }
svg.chart .panel-title { font-weight: bold; font-size: 12px; }
svg.chart .task { fill: #222; font-size: 12px; }
figure.chart { display: block; margin: 0.5em 0 1em; }
div.curves { display: flex; flex-wrap: wrap; gap: 0.5em 1.5em; }
figure.curve { margin: 0; white-space: nowrap; }
.missing { display: inline-block; width: 72px; height: 72px; background: #eee; color: #888; font-size: 0.7em;
           text-align: center; line-height: 72px; border: 1px dashed #bbb; }
"""
_VALUE = r"[-+]?(\d[\d,]*\.?\d*(e[-+]?\d+)?|nan|inf)[%×x]?"
_NUMBER = re.compile(rf"{_VALUE}(\s*±\s*{_VALUE})?|n/a", re.IGNORECASE)


class Raw(str):
    """Text that is already HTML: inserted as is, never escaped again."""


def esc(value: object) -> str:
    """``value`` as HTML text: ``<``, ``>``, ``&`` and quotes escaped (markup in :class:`Raw` kept)."""
    return value if isinstance(value, Raw) else html.escape(str(value), quote=True)


def join(parts: Iterable[object]) -> Raw:
    """Blocks one after the other (None and empty parts left out; plain text escaped)."""
    return Raw("\n".join(esc(p) for p in parts if p))


def tag(name: str, body: object = "", **attrs: object) -> Raw:
    """``<name attrs>body</name>``; attribute values are escaped, ``cls`` becomes ``class``."""
    text = "".join(f' {"class" if k == "cls" else k}="{esc(v)}"' for k, v in attrs.items() if v is not None)
    return Raw(f"<{name}{text}>{esc(body)}</{name}>")


def para(text: object, *, cls: str | None = None) -> Raw:
    return tag("p", text, cls=cls)


def pre(text: object, *, cls: str | None = None) -> Raw:
    return tag("pre", text, cls=cls)


def link(href: str, text: object) -> Raw:
    """A link to another file of the run folder (a relative path; never a web address)."""
    return tag("a", text, href=href)


def table(header: Sequence[object] | None, rows: Iterable[Sequence[object]], *, total: bool = False) -> Raw:
    """A table (no header row when ``header`` is None); cells that look like numbers are right-aligned;
    ``total`` styles the last row as a sum row."""
    rows = list(rows)
    lines = [tag("tr", Raw("".join(tag("th", h) for h in header)))] if header is not None else []
    for i, row in enumerate(rows):
        cells = "".join(tag("td", c, cls="num" if header is not None and _numeric(c) else None) for c in row)
        lines.append(tag("tr", Raw(cells), cls="total" if total and i == len(rows) - 1 else None))
    return tag("div", tag("table", Raw("".join(lines))), cls="wide")


def data_uri(data: bytes, mime: str = "image/png") -> str:
    """``data:<mime>;base64,...``: the bytes inside the page itself."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def image(data: bytes, alt: str, *, cls: str | None = None, mime: str = "image/png") -> Raw:
    """An ``<img>`` holding the image bytes (PNG unless ``mime`` says otherwise)."""
    return Raw(f'<img src="{data_uri(data, mime)}" alt="{esc(alt)}"' + (f' class="{esc(cls)}"' if cls else "") + ">")


def figure(data: bytes, caption: object, *, cls: str | None = None, mime: str = "image/png",
           href: str | None = None) -> Raw:
    """An image with a caption under it (``cls="half"``: two side by side); with ``href`` the image and
    the caption link to that file of the run folder (the full-size picture of a thumbnail)."""
    img, cap = image(data, str(caption), mime=mime), tag("figcaption", caption)
    if href is not None:
        img, cap = link(href, img), tag("figcaption", join([caption, " · ", link(href, "full size")]))
    return tag("figure", join([img, cap]), cls=cls)


def missing(what: object) -> Raw:
    """A grey box standing in for an image that cannot be read."""
    return tag("span", "missing", cls="missing", title=f"cannot read {what}")


def section(sid: str, title: str, *parts: object) -> Raw:
    """``<section id=sid>`` with an ``<h2>`` title; its id is what tests and the table of contents find."""
    return tag("section", join([tag("h2", title), *parts]), id=sid)


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str, Raw]]) -> str:
    """The whole document: inline style sheet, a title, a table of contents and the sections.

    Args:
        title: the ``<h1>`` and ``<title>``.
        subtitle: one line under the title.
        sections: ``(id, title, section markup)`` in page order.
    """
    nav = tag("nav", Raw(" ".join(link(f"#{sid}", name) for sid, name, _ in sections)))
    head = (f'<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title><style>{STYLE}</style>")
    body = join([tag("h1", title), para(subtitle, cls="meta"), nav, *(markup for _, _, markup in sections)])
    return f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>{head}</head>\n<body>\n{body}\n</body>\n</html>\n"


def _numeric(cell: object) -> bool:
    return not isinstance(cell, Raw) and (isinstance(cell, (int, float)) or bool(_NUMBER.fullmatch(str(cell).strip())))
