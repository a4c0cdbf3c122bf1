"""The register as CSV and XLSX: the same query and filters as the screen, every page."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from webapp import vocab

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"

HEADERS = [
    "鑰匙",
    "類別",
    "狀態",
    "持有人",
    "持有人類型",
    "用途",
    "借出時間",
    "應還時間",
    "逾期",
    "未經工程部批准",
]
BORROWER_TYPES = {"owner": "業主", "tenant": "租戶", "contractor": "施工單位", "staff": "員工"}


def _safe(text: str | None) -> str:
    """Neutralise spreadsheet formulas in user text."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _time(value, tz) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def row_values(row, tz) -> list[str]:
    key, last = row.key, row.last
    lent = last if last is not None and last.action in ("lend", "issue") else None
    holding = key.status in ("out", "issued", "disputed")
    return [
        _safe(key.label),
        vocab.zh("key_class", key.key_class),
        vocab.zh("key_status", key.status),
        _safe(key.holder_name) if holding else "",
        BORROWER_TYPES.get(key.holder_type or "", key.holder_type or "") if holding else "",
        _safe(lent.purpose) if lent and holding else "",
        _time(lent.occurred_at, tz) if lent and holding else "",
        _time(lent.due_back, tz) if lent and holding else "",
        "是" if row.overdue else "",
        "是" if row.unapproved else "",
    ]


def to_csv(rows, tz) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(row_values(row, tz))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows, tz) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("房屋鑰匙管理記錄表")
    bold = Font(bold=True)
    red = PatternFill("solid", fgColor="FDE2E1")
    header = []
    for title in HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        values = row_values(row, tz)
        if row.overdue:
            cells = []
            for v in values:
                c = WriteOnlyCell(sheet, value=v)
                c.fill = red
                cells.append(c)
            sheet.append(cells)
        else:
            sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
