"""The findings list as CSV and XLSX: the same query and filters as the screen, every page."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from webapp.review.names import DEPARTMENT_NAMES, SEVERITY_NAMES, STATUS_NAMES

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"
HEADERS = [
    "編號",
    "小區",
    "發現時間",
    "位置",
    "類別",
    "嚴重程度",
    "狀態",
    "部門",
    "期限",
    "逾期",
    "描述",
]


def _safe(value: str) -> str:
    # A cell that starts like a formula would be run by a spreadsheet: make it text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def row_values(row, tz) -> list[str]:
    """One finding as the export's cells (plain text, times in the estate's zone)."""
    f = row.finding
    return [
        f.id,
        row.estate,
        f.occurred_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        _safe(row.place),
        _safe(f.category),
        str(SEVERITY_NAMES.get(f.severity, f.severity)),
        str(STATUS_NAMES.get(f.status, f.status)),
        str(DEPARTMENT_NAMES.get(row.department or "none", "")) if row.department else "",
        row.due_at.astimezone(tz).strftime("%Y-%m-%d") if row.due_at else "",
        "是" if row.overdue else "",
        _safe(f.note or ""),
    ]


def to_csv(rows, tz) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(row_values(row, tz))
    # A BOM so Excel opens the Chinese text as UTF-8.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows, tz) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("報事")
    bold = Font(bold=True)
    from openpyxl.cell import WriteOnlyCell

    header = []
    for title in HEADERS:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append(row_values(row, tz))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
