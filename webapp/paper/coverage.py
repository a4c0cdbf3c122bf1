"""巡查覆蓋表 the coverage grid of a day or a week, printed: for each round, its checkpoints
against its windows, each cell the checkpoint's status in that window (the same statuses the
grid on the screen shows, from ``rounds.service.coverage_days``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from webapp import vocab
from webapp.models import Estate
from webapp.paper.pdf import Cell, Column, Paper
from webapp.rounds import rules
from webapp.rounds.service import WindowCoverage

TITLE = ("巡查覆蓋表", "Patrol coverage")
SIGNERS = (("主管", "Supervisor"),)
BAD = {rules.MISSED, rules.LATE}


def render(estate: Estate, days: Sequence[date], coverage: dict[date, list[WindowCoverage]],
           printed: datetime) -> bytes:  # fmt: skip
    week = len(days) > 1
    paper = Paper(
        estate=estate.name, title_zh=TITLE[0], title_en=TITLE[1], printed=printed, landscape=week
    )
    paper.add_page()
    windows = [w for d in days for w in coverage.get(d, [])]
    totals = {s: sum(w.count(s) for w in windows) for s in rules.STATUSES}
    expected = sum(len(w.points) for w in windows)
    span = days[0].isoformat() if not week else f"{days[0].isoformat()} 至 {days[-1].isoformat()}"
    paper.facts(
        [
            ("小區", "Estate", estate.name),
            ("期間", "Period", span),
            ("應檢", "Due", str(expected)),
            ("完成", "Done", f"{totals[rules.DONE]}（逾時 {totals[rules.LATE]}）"),
            ("漏檢", "Missed", str(totals[rules.MISSED])),
            ("無法進入", "No access", str(totals[rules.NO_ACCESS])),
        ]
    )
    by_template: dict[int, list[WindowCoverage]] = {}
    for w in windows:
        by_template.setdefault(w.template.id, []).append(w)
    if not by_template:
        paper.note("這段期間沒有巡查時段。 No round windows in this period.")
    for group in by_template.values():
        _section(paper, group, week)
    paper.note("完成＝在時段內檢查；逾時＝時段結束後才檢查；漏檢＝時段已過未檢查；待檢＝時段未過。")
    paper.signatures(SIGNERS)
    return paper.output_bytes()


def _section(paper: Paper, group: list[WindowCoverage], week: bool) -> None:
    template = group[0].template
    kind = vocab.zh("round_kind", template.kind)
    paper.heading(kind if template.name in ("", kind) else f"{kind} · {template.name}")
    rows: dict[tuple[str, int], str] = {}
    for w in group:
        for p in w.points:
            rows.setdefault((p.item_type, p.item_id), p.label or f"{p.item_type} {p.item_id}")
    columns = [Column("檢查點", "Checkpoint", 3.0)]
    for w in group:
        when = f"{w.start:%m-%d %H:%M}" if week else f"{w.start:%H:%M}–{w.end:%H:%M}"
        done = w.count(rules.DONE) + w.count(rules.LATE)
        columns.append(Column(when, f"{done}/{len(w.points)}", 1.0, "CENTER"))
    status = {
        (i, (p.item_type, p.item_id)): p.status for i, w in enumerate(group) for p in w.points
    }
    body = []
    for key, label in rows.items():
        line: list[Cell | str] = [label]
        for i in range(len(group)):
            s = status.get((i, key))
            line.append(Cell(vocab.zh("coverage_status", s), s in BAD) if s else "—")
        body.append(line)
    paper.table(columns, body, font_size=7.5 if len(group) > 8 else 8.5)
