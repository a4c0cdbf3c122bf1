"""The findings list's cells for CSV and XLSX: the same query and filters as the screen, every
page (``views.findings_export``). File formats are ``webapp.exports``'s; the dashboard's other
tables are in ``tables.py``.
"""

from __future__ import annotations

from webapp import exports, i18n
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


def names() -> dict[str, dict[str, str]]:
    """The category, severity, status and department names in the reader's language,
    translated once per file (not four lookups per row: a year of findings is tens of
    thousands of rows). A category not in the vocabulary (a custom round's) is as stored."""
    return {
        "category": dict(i18n.terms("finding_category")),
        "severity": {k: str(v) for k, v in SEVERITY_NAMES.items()},
        "status": {k: str(v) for k, v in STATUS_NAMES.items()},
        "department": {k: str(v) for k, v in DEPARTMENT_NAMES.items()},
    }


def row_values(row, tz, named: dict | None = None) -> list[str]:
    """One finding as the export's cells (plain text, times in the reader's zone)."""
    named = named or names()
    f = row.finding
    return [
        f.id,
        row.estate,
        exports.when(f.occurred_at, tz),
        row.place,
        named["category"].get(f.category, f.category),
        named["severity"].get(f.severity, f.severity),
        named["status"].get(f.status, f.status),
        named["department"].get(row.department, "") if row.department else "",
        exports.when(row.due_at, tz, "%Y-%m-%d"),
        "是" if row.overdue else "",
        f.note or "",
    ]
