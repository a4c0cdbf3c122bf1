"""The items log and the handover log as spreadsheet rows (CSV/XLSX: ``webapp.exports.download``).

Exports speak the paper forms' language: Chinese headings and the vocabularies' Chinese names,
whoever downloads them; times in the reader's zone.
"""

from __future__ import annotations

from collections.abc import Iterable

from webapp import exports, vocab
from webapp.desk.handover import Shown

ITEMS_SHEET = "代存物品登記"
ITEM_HEADERS = [
    "編號",
    "小區",
    "收件時間",
    "房屋",
    "住戶",
    "類別",
    "物品說明",
    "數量",
    "來自",
    "收件人",
    "狀態",
    "批准人",
    "批准時間",
    "批准備註",
    "領取或退回時間",
    "領取人",
    "領取人簽名",
    "經手人",
    "備註",
]


def _name(user) -> str:
    return user.name if user is not None else ""


def item_values(item, estates: dict[int, str], tz) -> list:
    """One item as the export's cells."""
    decided = item.decided_at is not None
    return [
        item.id,
        estates.get(item.estate_id, ""),
        exports.when(item.received_at, tz),
        item.unit.label,
        item.resident_name,
        vocab.zh("desk_item_kind", item.kind),
        item.description,
        item.quantity,
        item.received_from,
        _name(item.received_by),
        vocab.zh("desk_item_status", item.status),
        _name(item.decided_by) if decided else "",
        exports.when(item.decided_at, tz),
        item.decision_note,
        exports.when(item.closed_at, tz),
        item.collector_name,
        "已簽名" if item.signature_sha256 else "",
        _name(item.closed_by),
        item.close_note,
    ]


LOG_SHEET = "前臺交接日志"
LOG_HEADERS = ["交接編號", "交接時間", "小區", "交班人", "接班人", "部分", "項目", "說明"]


def _lines(view: Shown, tz) -> list[tuple[str, str, str]]:
    """(section, what, detail) for every line of one handover."""
    entry = view.entry

    def key_name(key_id: int) -> str:
        key = view.keys.get(key_id)
        return key.label if key is not None else f"#{key_id}"

    lines = [
        (
            "鑰匙盤點",
            f"點到 {len(entry.scanned)} / 共 {entry.keys_total}",
            f"應在櫃 {entry.keys_expected}",
        )
    ]
    lines += [("鑰匙盤點", key_name(k), "應在櫃未點到") for k in entry.missing]
    lines += [("鑰匙盤點", key_name(k), "點到但記錄為不在櫃") for k in entry.unexpected]
    lines += [("鑰匙盤點", code, "無法識別的編碼") for code in entry.unknown_codes]
    lines += [
        ("鑰匙盤點", key_name(a["key"]), f"{vocab.zh('key_status', a['status'])} {a['holder']}")
        for a in entry.away
    ]
    for section, rows in (("代存物品", view.held), ("未派送信件及報紙", view.mail)):
        for item, status in rows:
            lines.append(
                (
                    section,
                    f"{item.unit.label} {item.resident_name}".strip(),
                    f"{vocab.zh('desk_item_kind', item.kind)} × {item.quantity}"
                    + (f" {item.description}" if item.description else "")
                    + f" · {vocab.zh('desk_item_status', status)}"
                    + f" · {exports.when(item.received_at, tz)}",
                )
            )
    lines += [("未完成事項", text, "") for text in entry.tasks]
    lines += [
        ("未完成事項", f"報事 {f.category}", f"{vocab.zh('finding_status', f.status)} {f.note}")
        for f in view.findings
    ]
    if entry.note:
        lines.append(("備註", entry.note, ""))
    return lines


def log_rows(views: Iterable[Shown], tz):
    """A row per line of each handover."""
    for view in views:
        entry = view.entry
        head = [
            entry.id,
            exports.when(entry.created_at, tz),
            view.estate.name,
            entry.outgoing_name,
            entry.incoming_name,
        ]
        for section, what, detail in _lines(view, tz):
            yield [*head, section, what, detail]
