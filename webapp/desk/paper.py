"""《前臺交接日志》 printed: one handover on A4 through the paper writer (webapp/paper/pdf.py) —
the keys counted and the register's differences, the items held, the undelivered mail and
newspapers, the open work, and both shifts. Printed forms are Chinese with the English beside
(vocab names, never the reader's catalogue), like every form of the rulebook."""

from __future__ import annotations

from datetime import datetime

from webapp import vocab
from webapp.desk.handover import Shown
from webapp.paper.pdf import Cell, Column, Paper

TITLE = ("前臺交接日志", "Front desk handover log")
SIGNERS = (("交班人", "Outgoing shift"), ("接班人", "Incoming shift"))


def _when(value: datetime | None, tz) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def _both(vocabulary: str, value: str) -> str:
    return f"{vocab.zh(vocabulary, value)} {vocab.en(vocabulary, value)}"


def _item_rows(rows, tz) -> list[list]:
    out = []
    for item, status in rows:
        who = item.unit.label + (f"\n{item.resident_name}" if item.resident_name else "")
        what = vocab.zh("desk_item_kind", item.kind) + (
            f"\n{item.description}" if item.description else ""
        )
        out.append(
            [
                _when(item.received_at, tz),
                who,
                what,
                str(item.quantity),
                Cell(vocab.zh("desk_item_status", status), bad=status != "held"),
                item.received_from,
            ]
        )
    return out


ITEM_COLUMNS = [
    Column("收件時間", "Received", 1.3),
    Column("房屋 · 住戶", "For", 2.2),
    Column("物品", "Item", 2.0),
    Column("數量", "Qty", 0.6, "CENTER"),
    Column("狀態", "Status", 1.1),
    Column("來自", "From", 1.2),
]


def render(view: Shown, tz, printed: datetime) -> bytes:
    """The handover as a PDF (bytes)."""
    entry, estate = view.entry, view.estate
    paper = Paper(estate=estate.name, title_zh=TITLE[0], title_en=TITLE[1], printed=printed)
    paper.add_page()
    paper.facts(
        [
            ("小區", "Estate", estate.name),
            ("交接時間", "Handed over", _when(entry.created_at, tz)),
            ("交班人", "Outgoing", entry.outgoing_name),
            ("接班人", "Incoming", entry.incoming_name),
            (
                "鑰匙盤點",
                "Keys counted",
                f"{len(entry.scanned)} / {entry.keys_total}（應在櫃 {entry.keys_expected}）",
            ),
            ("代存物品", "Items held", str(len(view.held))),
            ("未派送信件及報紙", "Mail undelivered", str(len(view.mail))),
            ("未完成事項", "Open tasks", str(len(entry.tasks) + len(view.findings))),
        ]
    )

    def key_name(key_id: int) -> str:
        key = view.keys.get(key_id)
        return key.label if key is not None else f"#{key_id}"

    paper.heading("鑰匙盤點", "Keys counted against the register")
    diffs = [
        [Cell("應在櫃未點到 Expected, not counted", bad=True), key_name(k), ""]
        for k in entry.missing
    ]
    diffs += [
        [Cell("點到但記錄為不在櫃 Counted, recorded away", bad=True), key_name(k), ""]
        for k in entry.unexpected
    ]
    diffs += [
        [Cell("無法識別的編碼 Unknown code", bad=True), code, ""] for code in entry.unknown_codes
    ]
    diffs += [
        [
            "借出或有爭議 Out or disputed",
            key_name(a["key"]),
            f"{_both('key_status', a['status'])} {a['holder']}",
        ]
        for a in entry.away
    ]
    if diffs:
        paper.table(
            [Column("項目", "What", 2.2), Column("鑰匙", "Key", 2.4), Column("持有", "Held", 1.6)],
            diffs,
        )
    else:
        paper.note("鑰匙與登記相符，全部在櫃。Every key counted, all in the cabinet.")

    paper.heading("代存物品", "Items held for residents")
    if view.held:
        paper.table(ITEM_COLUMNS, _item_rows(view.held, tz))
    else:
        paper.note("無 None")

    paper.heading("未派送信件及報紙", "Mail and newspapers not yet delivered")
    if view.mail:
        paper.table(ITEM_COLUMNS, _item_rows(view.mail, tz))
    else:
        paper.note("無 None")

    paper.heading("未完成事項", "Open tasks")
    tasks = [[str(n), text] for n, text in enumerate(entry.tasks, 1)]
    tasks += [
        [
            "報事",
            f"{f.category} · {vocab.zh('finding_status', f.status)}"
            + (f" · {f.location}" if f.location else "")
            + (f"\n{f.note}" if f.note else ""),
        ]
        for f in view.findings
    ]
    if tasks:
        paper.table([Column("#", "", 0.5, "CENTER"), Column("事項", "Task", 6)], tasks)
    else:
        paper.note("無 None")
    if entry.note:
        paper.heading("備註", "Note")
        paper.note(entry.note)
    paper.note(
        f"交班人 {entry.outgoing_name} 與接班人 {entry.incoming_name} 已於 "
        f"{_when(entry.created_at, tz)} 以各自的密碼確認。"
        f" Both shifts confirmed with their own passwords."
        if entry.outgoing_user_id and entry.incoming_user_id
        else f"接班人 {entry.incoming_name} 以密碼確認。 The incoming shift confirmed."
    )
    paper.signatures(SIGNERS)
    return paper.output_bytes()
