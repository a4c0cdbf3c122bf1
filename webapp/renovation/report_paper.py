"""The Saturday report as files: an A4 PDF through webapp/paper (each estate on its own pages:
the estate's header, the week, a table per block, the open notices and overrun permits, the
supervisor's signature line) and an XLSX through webapp/exports (a sheet per block, the estate
in the first column). Both in Chinese, as the printed forms and the exports are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from webapp import exports
from webapp.paper.pdf import Cell, Paper
from webapp.renovation.report_tables import Block, blocks, day_name

TITLE = ("每週裝修統計報表", "Weekly renovation report")
SIGNERS = (("主管", "Supervisor"), ("管理處主任", "Office manager"))
SHEETS = {
    "patrols": "裝修巡檢",
    "violations": "違規情況",
    "notices": "整改通知單",
    "stop_works": "停工",
    "acceptances": "竣工驗收",
    "deposits": "裝修押金",
    "reported": "報事",
    "open_notices": "未整改通知單",
    "overrun": "逾期未驗收",
}


def week_text(week: dict) -> str:
    """The week as the report heads it: 2026-W20：05-09（六）至 05-15（五）."""
    return f"{week['label']}：{day_name(week['first'], False)} 至 {day_name(week['last'], False)}"


def _table(paper: Paper, block: Block) -> None:
    paper.heading(block.zh, block.en)
    columns = block.columns
    if not block.rows:
        paper.note("無。 None.")
        return
    rows = [
        [Cell(str(v), (r, c) in block.bad) for c, v in enumerate(row)]
        for r, row in enumerate(block.rows)
    ]
    paper.table(columns, rows)
    if block.more:
        paper.note(f"另有 {block.more} 項未列出。 {block.more} more not listed.")
    if block.note_zh:
        paper.note(f"{block.note_zh} {block.note_en}")


def render_pdf(reports: Sequence[dict], printed: datetime) -> bytes:
    """The report of one or more estates as an A4 PDF with real text."""
    first = reports[0]
    paper = Paper(
        estate=first["estate"]["name"]
        if len(reports) == 1
        else "、".join(r["estate"]["name"] for r in reports),
        title_zh=TITLE[0],
        title_en=TITLE[1],
        printed=printed,
    )
    for report in reports:
        paper.estate = report["estate"]["name"]
        paper.add_page()
        week = report["week"]
        patrols = report["patrols"]
        checked = patrols["done"] + patrols["late"]
        paper.facts(
            [
                ("小區", "Estate", report["estate"]["name"]),
                ("週次", "Week", week_text(week)),
                ("報告日", "Due", f"{day_name(week['due'], False)} 09:00"),
                ("巡檢完成", "Patrols done", f"{checked} / {patrols['due']}"),
            ]
        )
        for block in blocks(report):
            # A one-row table and its heading stay together.
            if len(block.rows) == 1 and paper.will_page_break(30):
                paper.add_page()
            _table(paper, block)
        paper.signatures(SIGNERS)
    return paper.output_bytes()


def render_xlsx(reports: Sequence[dict]) -> bytes:
    """The report of one or more estates as a workbook: a sheet per block, a row per estate
    and line, the estate and week first."""
    sheets: dict[str, tuple[list[str], list[list]]] = {}
    for report in reports:
        lead = [report["estate"]["name"], report["week"]["label"]]
        for block in blocks(report):
            headers, rows = sheets.setdefault(
                block.name, (["小區", "週次", *(c.zh for c in block.columns)], [])
            )
            rows.extend([*lead, *row] for row in block.rows)
    ordered = [(SHEETS[name], *sheets[name]) for name in SHEETS]
    first, *more = ordered
    return exports.to_xlsx(first[0], first[1], first[2], more=more)


def file_name(reports: Sequence[dict], week_label: str, ext: str) -> str:
    """每週裝修統計-<estate>-2026-W20.pdf (the estate left out when there are several)."""
    if len(reports) == 1:
        return f"每週裝修統計-{reports[0]['estate']['name']}-{week_label}.{ext}"
    return f"每週裝修統計-{week_label}.{ext}"
