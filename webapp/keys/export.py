"""The register as CSV and XLSX: the same query and filters as the screen, every page.

The file formats (BOM, formula-safe cells, the pale red of overdue rows) are
``webapp.exports``'s; this module only says which columns the register has.
"""

from __future__ import annotations

from webapp import exports, vocab
from webapp.exports import CSV_MIME, XLSX_MIME  # noqa: F401  (the register view uses them)

SHEET = "房屋鑰匙管理記錄表"
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


def row_values(row, tz) -> list[str]:
    key, last = row.key, row.last
    lent = last if last is not None and last.action in ("lend", "issue") else None
    holding = key.status in ("out", "issued", "disputed")
    return [
        key.label,
        vocab.zh("key_class", key.key_class),
        vocab.zh("key_status", key.status),
        key.holder_name if holding else "",
        vocab.zh("borrower_type", key.holder_type) if holding and key.holder_type else "",
        lent.purpose if lent and holding else "",
        exports.when(lent.occurred_at, tz) if lent and holding else "",
        exports.when(lent.due_back, tz) if lent and holding else "",
        "是" if row.overdue else "",
        "是" if row.unapproved else "",
    ]


def to_csv(rows, tz) -> bytes:
    return exports.to_csv(HEADERS, [row_values(r, tz) for r in rows])


def to_xlsx(rows, tz) -> bytes:
    rows = list(rows)
    return exports.to_xlsx(
        SHEET, HEADERS, [row_values(r, tz) for r in rows], [bool(r.overdue) for r in rows]
    )
