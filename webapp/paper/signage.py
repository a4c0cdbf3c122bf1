"""標識檢查記錄 the signage check record of one day: every active sign of the estate, and for
each of the day's check windows (twice a day by the rulebook) its state, when and by whom —
an empty cell where a sign was not checked in that window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from webapp.models import Estate, Sign
from webapp.models.rounds import RoundTemplate
from webapp.paper.pdf import Cell, Column, Paper
from webapp.paper.records import CheckRow
from webapp.rounds import rules

TITLE = ("標識檢查記錄", "Signage check record")
SIGNERS = (("巡查人", "Inspector"), ("主管", "Supervisor"))


def windows(template: RoundTemplate, day: date, tz: str) -> list[rules.Window]:
    """The signage round's windows that start on ``day``."""
    return rules.windows_starting(rules.Schedule.from_template(template), day, tz)


def _window_of(at: datetime, slots: list[rules.Window]) -> int | None:
    """The window a check belongs to: the last one started by then (a late check counts for the
    window it was late for), None before the first."""
    found = None
    for i, w in enumerate(slots):
        if at >= w.start:
            found = i
    return found


def render(estate: Estate, signs: Sequence[Sign], slots: list[rules.Window],
           checks: Sequence[CheckRow], day: date, printed: datetime) -> bytes:  # fmt: skip
    paper = Paper(estate=estate.name, title_zh=TITLE[0], title_en=TITLE[1], printed=printed,
                  landscape=len(slots) > 2)  # fmt: skip
    paper.add_page()
    cells: dict[tuple[int, int], CheckRow] = {}
    for row in checks:
        slot = _window_of(row.at, slots)
        if slot is not None:
            cells[(row.item_id, slot)] = row  # the last check of the window stands
    ids = {s.id for s in signs}
    done = [sum((i, n) in cells for i in ids) for n in range(len(slots))]
    paper.facts(
        [
            ("小區", "Estate", estate.name),
            ("日期", "Date", f"{day.isoformat()}"),
            ("標識數", "Signs", str(len(signs))),
            ("已檢查", "Checked", "　".join(f"{d} / {len(signs)}" for d in done) or "—"),
        ]
    )
    columns = [Column("標識", "Sign", 2.6)]
    for w in slots:
        span = (
            f"{w.start.astimezone(printed.tzinfo):%H:%M}–{w.end.astimezone(printed.tzinfo):%H:%M}"
        )
        columns += [Column(f"{span} 狀態", "State", 1.2), Column("時間 · 巡查人", "Time · by", 1.5)]
    body = []
    for sign in signs:
        line: list[Cell | str] = [sign.label]
        for i in range(len(slots)):
            row = cells.get((sign.id, i))
            if row is None:
                line += [Cell("未檢查", True), ""]
            else:
                late = row.at > slots[i].end
                when = f"{row.at:%H:%M} {row.by}" + ("（逾時 late）" if late else "")
                line += [Cell(_state(row), row.result != "ok"), Cell(when, late)]
        body.append(line)
    if not slots:
        paper.note("這一天沒有標識檢查時段。 No signage check windows on this day.")
    paper.table(columns, body, font_size=8)
    paper.signatures(SIGNERS)
    return paper.output_bytes()


def _state(row: CheckRow) -> str:
    """The sign's state as answered (完好在位, 損壞…), else the check's result."""
    if row.checklist is not None:
        for q in row.checklist.questions:
            if q.type == "choice" and q.key in row.answers:
                return q.shown(row.answers[q.key])
    return row.result_text
