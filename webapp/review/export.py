"""The findings list as CSV and XLSX: the same query and filters as the screen, every page.

File formats are ``webapp.exports``'s; the dashboard's other tables are in ``tables.py``.
"""

from __future__ import annotations

from webapp import exports
from webapp.exports import CSV_MIME, XLSX_MIME  # noqa: F401
from webapp.review.names import DEPARTMENT_NAMES, SEVERITY_NAMES, STATUS_NAMES

SHEET = "報事"
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


def row_values(row, tz) -> list[str]:
    """One finding as the export's cells (plain text, times in the reader's zone)."""
    f = row.finding
    return [
        f.id,
        row.estate,
        exports.when(f.occurred_at, tz),
        exports.safe(row.place),
        exports.safe(f.category),
        str(SEVERITY_NAMES.get(f.severity, f.severity)),
        str(STATUS_NAMES.get(f.status, f.status)),
        str(DEPARTMENT_NAMES.get(row.department or "none", "")) if row.department else "",
        exports.when(row.due_at, tz, "%Y-%m-%d"),
        "是" if row.overdue else "",
        exports.safe(f.note or ""),
    ]


def to_csv(rows, tz) -> bytes:
    return exports.to_csv(HEADERS, [row_values(r, tz) for r in rows])


def to_xlsx(rows, tz) -> bytes:
    rows = list(rows)
    return exports.to_xlsx(
        SHEET, HEADERS, [row_values(r, tz) for r in rows], [bool(r.overdue) for r in rows]
    )
