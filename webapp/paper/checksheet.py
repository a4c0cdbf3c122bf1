"""The forms that list one item's visits: a sheet per item for a period, filled from its checks.

- 《裝修巡檢表》 (renovation patrol): every question as answered, in the checklist version the
  phone showed, the result, notes, how the unit was reached, photos, signature lines.
- 《空置房屋巡查記錄表》 (vacant-unit patrol): the same, with the vacant checklist.
- 《空置房屋巡查簽到表》 (vacant-unit sign-in sheet): a line for every day of the month, so a
  day nobody came shows as an empty line, and who came, when, how the unit was reached and
  where the phone was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from webapp.models import Estate, Unit
from webapp.paper.pdf import Cell, Column, Paper, Thumb
from webapp.paper.records import Checklist, CheckRow

WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Form:
    """A paper form of the rulebook: its names and who signs it."""

    zh: str
    en: str
    kind: str  # the rounds whose checks fill it
    signers: tuple[tuple[str, str], ...]
    facts: tuple[tuple[str, str], ...] = ()  # more heading lines to fill by hand, (zh, en)


RENOVATION = Form(
    "裝修巡檢表",
    "Renovation inspection form",
    "renovation",
    (("巡查人", "Inspector"), ("施工單位", "Contractor"), ("主管", "Supervisor")),
    (("施工單位", "Contractor"),),
)
VACANT_RECORD = Form(
    "空置房屋巡查記錄表",
    "Vacant unit inspection record",
    "vacant",
    (("巡查人", "Inspector"), ("主管", "Supervisor")),
)
VACANT_SIGN_IN = Form(
    "空置房屋巡查簽到表",
    "Vacant unit patrol sign-in sheet",
    "vacant",
    (("主管", "Supervisor"),),
)


def _period(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"


def _group(rows: Sequence[CheckRow]) -> dict[int, list[CheckRow]]:
    by_item: dict[int, list[CheckRow]] = {}
    for row in rows:
        by_item.setdefault(row.item_id, []).append(row)
    return by_item


def render_records(form: Form, estate: Estate, units: Sequence[Unit],
                   checks: Sequence[CheckRow], first: date, last: date,
                   printed: datetime) -> bytes:  # fmt: skip
    """A record sheet (one or more pages) per unit, in the order given."""
    paper = Paper(
        estate=estate.name, title_zh=form.zh, title_en=form.en, printed=printed, landscape=True
    )
    by_unit = _group(checks)
    for unit in units:
        _record_sheet(paper, form, estate, unit, by_unit.get(unit.id, []), first, last)
    return paper.output_bytes()


def _record_sheet(paper: Paper, form: Form, estate: Estate, unit: Unit, rows: list[CheckRow],
                  first: date, last: date) -> None:  # fmt: skip
    paper.add_page()
    paper.facts(
        [
            ("小區", "Estate", estate.name),
            ("房屋", "Unit", unit.label),
            ("期間", "Period", _period(first, last)),
            *((zh, en, "") for zh, en in form.facts),
            ("巡查次數", "Visits", str(len(rows))),
            ("有問題", "With issues", str(sum(r.result == "issue" for r in rows))),
        ],
        columns=3,
    )
    if not rows:
        paper.note("本期間沒有巡查記錄。 No visits recorded in this period.")
    groups = _by_checklist(rows)
    for checklist, part in groups:
        if checklist is not None and len(groups) > 1:
            paper.heading(
                f"檢查表第 {checklist.version} 版", f"Checklist version {checklist.version}"
            )
        _record_table(paper, checklist, part)
    if any(r.method != "scan" for r in rows):
        paper.note(
            "方式：掃描＝在現場掃描標籤；輸入短碼＝依標籤上的短碼輸入；手動選取＝未掃描，由清單選取。"
        )
    photos = [Thumb(photo, f"{r.at:%m-%d %H:%M} {r.by}") for r in rows for photo in r.photos]
    if photos:
        paper.heading("照片", "Photos")
        paper.thumbs(photos)
    paper.signatures(form.signers)


def _by_checklist(rows: list[CheckRow]) -> list[tuple[Checklist | None, list[CheckRow]]]:
    """Rows grouped by the checklist version they answered, in order of first use."""
    groups: dict[Checklist | None, list[CheckRow]] = {}
    for row in rows:
        groups.setdefault(row.checklist, []).append(row)
    return list(groups.items())


def _record_table(paper: Paper, checklist: Checklist | None, rows: list[CheckRow]) -> None:
    questions = checklist.answerable() if checklist else ()
    columns = [
        Column("日期時間", "When", 1.2),
        Column("巡查人", "Inspector", 1.0),
        *(Column(q.zh, q.en, 1.15, "CENTER") for q in questions),
        Column("結果", "Result", 1.5),
        Column("問題及處理", "Notes", 2.2),
        Column("照片", "Photos", 0.75, "CENTER"),
        Column("方式", "Reached by", 0.95),
    ]
    body = []
    for r in rows:
        answers = [
            Cell(q.shown(r.answers.get(q.key)), q.failed(r.answers.get(q.key))) for q in questions
        ]
        body.append(
            [
                _when(r),
                r.by,
                *answers,
                Cell(r.result_text, r.result == "issue"),
                r.written,
                str(len(r.photos)) if r.photos else "",
                r.method_text,
            ]
        )
    paper.table(columns, body, font_size=8 if len(questions) > 6 else 8.5)


def _when(r: CheckRow) -> str:
    return f"{r.at:%Y-%m-%d %H:%M}" + ("\n時鐘偏差 clock off" if r.clock_skewed else "")


def render_sign_in(estate: Estate, units: Sequence[Unit], checks: Sequence[CheckRow],
                   first: date, last: date, printed: datetime) -> bytes:  # fmt: skip
    """A sign-in sheet per unit: a line for every day from ``first`` to ``last``."""
    form = VACANT_SIGN_IN
    paper = Paper(estate=estate.name, title_zh=form.zh, title_en=form.en, printed=printed)
    by_unit = _group(checks)
    for unit in units:
        rows = by_unit.get(unit.id, [])
        paper.add_page()
        paper.facts(
            [
                ("小區", "Estate", estate.name),
                ("房屋", "Unit", unit.label),
                ("期間", "Period", _period(first, last)),
                ("簽到次數", "Visits", str(len(rows))),
            ]
        )
        by_day: dict[date, list[CheckRow]] = {}
        for r in rows:
            by_day.setdefault(r.at.date(), []).append(r)
        body = []
        day = first
        while day <= last:
            label = f"{day:%m-%d} ({WEEKDAYS[day.weekday()]})"
            for r in by_day.get(day) or [None]:
                if r is None:
                    body.append([label, "", "", "", "", ""])
                else:
                    body.append(
                        [label, f"{r.at:%H:%M}", r.by, r.method_text, r.where, r.result_text]
                    )
                label = ""
            day += timedelta(days=1)
        paper.table(
            [
                Column("日期", "Date", 1.0),
                Column("時間", "Time", 0.7),
                Column("巡查人（電子簽到）", "Inspector (signed in by the app)", 1.7),
                Column("方式", "Reached by", 1.0),
                Column("定位", "Location fix", 1.2),
                Column("結果", "Result", 1.3),
            ],
            body,
            font_size=8,
        )
        paper.note(
            "每次簽到由巡查人的手機在現場記錄（帳號、時間、方式、定位），代替手寫簽名。"
            " Each line was recorded on the inspector's phone on site in place of a handwritten"
            " signature."
        )
        paper.signatures(form.signers)
    return paper.output_bytes()
