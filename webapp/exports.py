"""Spreadsheet exports shared by every area: CSV with a BOM (so Excel reads UTF-8) and XLSX.

An area builds its header list and its rows as plain cell values (text, numbers, times already
put in the reader's zone) and hands them here. Every text cell of every export passes ``cell``
inside the writers (``to_csv``, ``to_xlsx``, and the registry's styled workbook): text a
spreadsheet would run as a formula is made inert, and the control characters no workbook can
hold (XML 1.0 refuses them: openpyxl raised, and the whole export was a 500) are left out, so
no area can forget either. ``download`` wraps
the bytes in a response named after the table.
"""

from __future__ import annotations

import csv
import io
import re
import time
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote

from flask import Response, send_file
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"  # the response adds "; charset=utf-8" (text/* always gets one)
FORMULA_STARTS = ("=", "+", "-", "@")
CONTROL_STARTS = ("\t", "\r", "\n")
MARK_FILL = "FDE2E1"  # the pale red of an overdue row


def name_download(response: Response, filename: str, *, inline: bool = False) -> Response:
    """Name a download in ``Content-Disposition`` as RFC 6266 asks: a header is latin-1 on
    the wire, so a Chinese name travels as ``filename*`` (UTF-8, percent-encoded) beside an
    ASCII fallback for clients that read only ``filename`` (what send_file does)."""
    kind = "inline" if inline else "attachment"
    try:
        filename.encode("ascii")
    except UnicodeEncodeError:
        simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
        simple = simple.lstrip("-_ ") or "download"
        response.headers.set(
            "Content-Disposition",
            kind,
            filename=simple,
            **{"filename*": f"UTF-8''{quote(filename)}"},
        )
    else:
        response.headers.set("Content-Disposition", kind, filename=filename)
    return response


def needs_guard(text: str) -> bool:
    """Tell whether a spreadsheet could read text as a formula: it starts with = + - @, or a
    tab, CR or LF, or spaces before one of those (OWASP's CSV injection list)."""
    return text[:1] in CONTROL_STARTS or text.lstrip()[:1] in FORMULA_STARTS


def _restorable(text: str) -> bool:
    """Tell whether ``restore`` strips this text's first character: apostrophes, then text
    that needs the guard (``'=1`` was written for ``=1``, ``''=1`` for ``'=1``)."""
    rest = text.lstrip("'")
    return len(rest) < len(text) and needs_guard(rest)


def safe(text: str | None) -> str:
    """User text as a spreadsheet cell: a leading ``'`` keeps a formula-looking text as text
    (and marks a text that already looks guarded, so it reads back as it was)."""
    text = text or ""
    return "'" + text if needs_guard(text) or _restorable(text) else text


# What XML 1.0 cannot carry, so no XLSX cell can (openpyxl's ILLEGAL_CHARACTERS_RE): the C0
# controls but tab, line feed and carriage return. A name typed with one (a pasted ESC, a
# phone's stray control key) is shown as it reads, without it.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def writable(text: str) -> str:
    """Text without the control characters a workbook cannot hold (the same in CSV, so the two
    formats read back alike)."""
    return _UNWRITABLE.sub("", text) if _UNWRITABLE.search(text) else text


# A text needs ``safe`` only if it starts with one of these or with whitespace: the quick
# test lets the millions of plain cells of a large export through untouched.
_RISKY_STARTS = frozenset("".join(FORMULA_STARTS) + "".join(CONTROL_STARTS) + "'")


def cell(value):
    """Any cell value as written: text made inert (see ``safe``) and writable (see
    ``writable``), other values as they are."""
    if not isinstance(value, str) or not value:
        return value
    value = writable(value)
    if value and (value[0] in _RISKY_STARTS or value[0].isspace()):
        return safe(value)
    return value


def restore(text: str) -> str:
    """The text an exported cell stood for (the importer reads exports back)."""
    return text[1:] if _restorable(text) else text


def when(value: datetime | None, tz, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time in the reader's zone, or an empty cell."""
    return value.astimezone(tz).strftime(fmt) if value else ""


def to_csv(headers: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """The rows as CSV (CRLF lines), UTF-8 with a BOM so Excel opens Chinese text right."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([cell(h) for h in headers])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence], every: int = 2000):
    """The rows as CSV like ``to_csv``, yielded as UTF-8 chunks of ``every`` rows: a year of
    records streams out with memory flat."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([cell(h) for h in headers])
    yield ("\ufeff" + buf.getvalue()).encode("utf-8")
    buf.seek(0)
    buf.truncate()
    for n, row in enumerate(rows, 1):
        writer.writerow([cell(v) for v in row])
        if n % every == 0:
            yield buf.getvalue().encode("utf-8")
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode("utf-8")


def to_xlsx(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    marked: Sequence[bool] | None = None,
    more: Sequence[tuple[str, Sequence[str], Iterable[Sequence]]] = (),
) -> bytes:
    """The rows as one XLSX sheet (write-only, so memory stays flat), bold headers; rows whose
    ``marked`` flag is true are filled pale red. ``more``: further (title, headers, rows)
    sheets after it (a summary)."""
    book = Workbook(write_only=True)
    sheet = _sheet(book, title, headers)
    fill = PatternFill("solid", fgColor=MARK_FILL)
    for i, row in enumerate(rows):
        if marked is not None and i < len(marked) and marked[i]:
            cells = []
            for value in row:
                filled = WriteOnlyCell(sheet, value=cell(value))
                filled.fill = fill
                cells.append(filled)
            sheet.append(cells)
        else:
            sheet.append([cell(v) for v in row])
    for more_title, more_headers, more_rows in more:
        extra = _sheet(book, more_title, more_headers)
        for row in more_rows:
            extra.append([cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(book: Workbook, title: str, headers: Sequence[str]):
    """A new write-only sheet with its bold header row."""
    # Sheet titles: at most 31 characters, none of []:*?/\
    sheet = book.create_sheet("".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet")
    bold = Font(bold=True)
    header = []
    for text in headers:
        head = WriteOnlyCell(sheet, value=cell(text))
        head.font = bold
        header.append(head)
    sheet.append(header)
    return sheet


def download(
    fmt: str,
    stem: str,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence],
    marked: Sequence[bool] | None = None,
):
    """A CSV or XLSX attachment named ``<stem>-<yyyymmdd>.<fmt>``."""
    if fmt == "csv":
        data, mime = to_csv(headers, rows), CSV_MIME
    elif fmt == "xlsx":
        data, mime = to_xlsx(title, headers, rows, marked), XLSX_MIME
    else:
        raise ValueError(fmt)
    name = f"{stem}-{time.strftime('%Y%m%d')}.{fmt}"
    return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True, download_name=name)
