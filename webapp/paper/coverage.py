"""巡查覆蓋表 the coverage grid of a day or a week, printed: for each round, its checkpoints
against its windows, each cell the checkpoint's status in that window (the same statuses the
grid on the screen shows, from ``rounds.service.coverage_days``) with the screen's mark for a
check typed or picked rather than scanned; then each patroller's and each round's share of
scanned checks (``rounds.presence.shares``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from webapp import vocab
from webapp.models import Estate
from webapp.paper.pdf import Cell, Column, Paper
from webapp.rounds import presence, rules
from webapp.rounds.presence import Share
from webapp.rounds.service import WindowCoverage

TITLE = ("巡查覆蓋表", "Patrol coverage")
SIGNERS = (("主管", "Supervisor"),)
BAD = {rules.MISSED, rules.LATE}


def render(estate: Estate, days: Sequence[date], coverage: dict[date, list[WindowCoverage]],
           printed: datetime,
           shares: tuple[list[Share], list[Share]] = ([], [])) -> bytes:  # fmt: skip
    week = len(days) > 1
    paper = Paper(
        estate=estate.name, title_zh=TITLE[0], title_en=TITLE[1], printed=printed, landscape=week
    )
    paper.add_page()
    windows = [w for d in days for w in coverage.get(d, [])]
    totals = {s: sum(w.count(s) for w in windows) for s in rules.STATUSES}
    expected = sum(len(w.points) for w in windows)
    span = days[0].isoformat() if not week else f"{days[0].isoformat()} 至 {days[-1].isoformat()}"
    people, rounds = shares
    everyone = Share(None, "")
    for share in people:
        everyone.add("scan", share.scan, 0)
        everyone.add("typed", share.typed, 0)
        everyone.add("manual", share.manual, share.no_reason)
    paper.facts(
        [
            ("小區", "Estate", estate.name),
            ("期間", "Period", span),
            ("應檢", "Due", str(expected)),
            ("完成", "Done", f"{totals[rules.DONE]}（逾時 {totals[rules.LATE]}）"),
            ("漏檢", "Missed", str(totals[rules.MISSED])),
            ("無法進入", "No access", str(totals[rules.NO_ACCESS])),
            ("掃描比例", "Scanned", _share_fact(everyone)),
            ("未說明原因", "No reason given", str(everyone.no_reason)),
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
    marks = presence.MARKS
    paper.note(
        f"確認方式：無標記＝掃描標籤；{marks['typed']}＝輸入短碼；{marks['manual']}＝手動選取；"
        f"{marks['unexplained']}＝手動選取，未說明原因。 Reached by: no mark = scanned; "
        f"{marks['typed']} = code typed; {marks['manual']} = picked from a list; "
        f"{marks['unexplained']} = picked, no reason given."
    )
    if people:
        _shares(paper, people, rounds)
    paper.signatures(SIGNERS)
    return paper.output_bytes()


def _share_fact(share: Share) -> str:
    if share.scanned_pct is None:
        return "—"
    return f"{share.scanned_pct}%（{share.scan} / {share.total}）"


SHARE_COLUMNS = [
    Column("檢查數", "Checks", 0.8, "CENTER"),
    Column("掃描", "Scanned", 0.8, "CENTER"),
    Column("輸入短碼", "Typed", 0.8, "CENTER"),
    Column("手動選取", "Picked", 0.8, "CENTER"),
    Column("掃描比例", "Share scanned", 0.9, "CENTER"),
    Column("未說明原因", "No reason given", 0.9, "CENTER"),
]


def _shares(paper: Paper, people: list[Share], rounds: list[Share]) -> None:
    """Each patroller's and each round's checks of the period by how they reached their items."""
    inspector, round_ = Column("巡查人", "Inspector", 2.0), Column("巡查", "Round", 2.0)
    for zh, en, first, shares in (
        ("各巡查人掃描比例", "Share scanned by patroller", inspector, people),
        ("各巡查掃描比例", "Share scanned by round", round_, rounds),
    ):
        if paper.will_page_break(20 + 6 * len(shares)):  # a short table is kept whole
            paper.add_page()
        paper.heading(zh, en)
        body = [
            [
                s.name or ("不屬任何巡查" if s.key is None and shares is rounds else "—"),
                str(s.total),
                str(s.scan),
                str(s.typed),
                str(s.manual),
                f"{s.scanned_pct}%" if s.scanned_pct is not None else "—",
                Cell(str(s.no_reason), s.no_reason > 0),
            ]
            for s in shares
        ]
        paper.table([first, *SHARE_COLUMNS], body)


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
    found = {(i, (p.item_type, p.item_id)): p for i, w in enumerate(group) for p in w.points}
    body = []
    for key, label in rows.items():
        line: list[Cell | str] = [label]
        for i in range(len(group)):
            p = found.get((i, key))
            if p is None:
                line.append("—")
                continue
            mark = presence.MARKS.get(presence.how(p.method, p.reason), "")
            text = vocab.zh("coverage_status", p.status) + (f" {mark}" if mark else "")
            line.append(Cell(text, p.status in BAD))
        body.append(line)
    paper.table(columns, body, font_size=7.5 if len(group) > 8 else 8.5)
