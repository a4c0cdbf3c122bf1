"""A digest as a file: the A4 PDF (webapp/paper's writer, real text), the workbook
(webapp/exports) and the email's plain text — all drawn from ``digest_registry.tables_of``,
so the page, the email and the attachments say the same numbers.

The PDF follows the printed forms' style: its title, facts and table headings in Chinese with
the English beside them (the sections' tables rendered once in each language), the cells in
the reader's language. Called where ``url_for`` works (``messages.sending`` in a job).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _

from webapp import exports, i18n
from webapp.alerts.digest_sections import kind_names
from webapp.digest_registry import Table, tables_of
from webapp.paper.pdf import Cell, Column, Paper

ZH, EN = "zh_Hant_TW", "en"


def period_text(data: dict) -> str:
    """The days reported: one date, or first to last."""
    if data["first"] == data["last"]:
        return data["first"]
    return f"{data['first']} – {data['last']}"


def _both(msgid: str) -> tuple[str, str]:
    """A label in Chinese and in English (the forms' style)."""
    with force_locale(ZH):
        zh = _(msgid)
    return zh, msgid


def _headings(data: dict) -> list[list[tuple[list[str], list[str]]]]:
    """Per estate, per table: (Chinese headings with the title first, English likewise)."""
    found: dict[str, list] = {}
    for locale in (ZH, EN):
        with force_locale(locale):
            found[locale] = [
                [[t.title, *t.headers] for t in estate_tables]
                for _estate, estate_tables in tables_of(data)
            ]
    return [
        list(zip(zh_tables, en_tables, strict=True))
        for zh_tables, en_tables in zip(found[ZH], found[EN], strict=True)
    ]


def pdf(data: dict, *, person: str, printed: datetime, link: str) -> bytes:
    """The digest on one or two A4 pages per estate, most often one or two in all."""
    zh, en = kind_names(data["kind"])
    shown = tables_of(data)
    paper = Paper(
        estate="、".join(estate["name"] for estate, _tables in shown) or "—",
        title_zh=zh,
        title_en=en,
        printed=printed,
    )
    paper.add_page()
    paper.facts(
        [
            (*_both("Prepared for"), person),
            (*_both("Period"), period_text(data)),
            (*_both("As at"), printed.strftime("%Y-%m-%d %H:%M")),
            (*_both("Estates"), str(len(shown))),
        ]
    )
    paper.note(link)
    for (estate, estate_tables), headings in zip(shown, _headings(data), strict=True):
        paper.heading(estate["name"])
        for table, (zh_heads, en_heads) in zip(estate_tables, headings, strict=True):
            _table(paper, table, zh_heads, en_heads)
    return paper.output_bytes()


def _table(paper: Paper, table: Table, zh_heads: list[str], en_heads: list[str]) -> None:
    if paper.will_page_break(16 + 6 * min(len(table.rows), 6)):  # a short table kept whole
        paper.add_page()
    title_en = en_heads[0] if en_heads[0] != zh_heads[0] else ""
    paper.heading(zh_heads[0], title_en)
    if not table.rows:
        paper.note(table.empty)
        return
    first = 2.2 if len(table.headers) > 2 else 1.6
    columns = [
        Column(z, e if e != z else "", first if i == 0 else 1.0, "LEFT" if i == 0 else "CENTER")
        for i, (z, e) in enumerate(zip(zh_heads[1:], en_heads[1:], strict=True))
    ]
    body = [
        [Cell(str(value), table.bad(r, c)) for c, value in enumerate(row)]
        for r, row in enumerate(table.rows)
    ]
    paper.table(columns, body, font_size=8)
    if table.note:
        paper.note(table.note)


def xlsx(data: dict, *, base_url: str) -> bytes:
    """The digest's numbers as a workbook: a sheet per kind of table, a line per estate's row,
    with the estate's name first and the link to the page last."""
    sheets: dict[str, tuple[str, list[str], list[list]]] = {}
    for estate, estate_tables in tables_of(data):
        for table in estate_tables:
            _title, _headers, rows = sheets.setdefault(
                table.name, (table.title, [_("Estate"), *table.headers, _("Link")], [])
            )
            links = table.links or [None] * len(table.rows)
            for row, link in zip(table.rows, links, strict=True):
                rows.append([estate["name"], *row, base_url + link if link else ""])
    facts = [
        [_("Period"), period_text(data)],
        [_("As at"), data["now"]],
        [_("Estates"), "、".join(estate["name"] for estate in data["estates"])],
    ]
    more = list(sheets.values())
    name = i18n.term("alert_kind", f"digest_{data['kind']}")
    return exports.to_xlsx(name, [_("What"), _("Value")], facts, None, more)


def text(data: dict, *, base_url: str) -> str:
    """The digest as plain text (the email's text part), estate by estate."""
    lines: list[str] = [period_text(data)]
    for estate, estate_tables in tables_of(data):
        lines += ["", f"== {estate['name']} =="]
        for table in estate_tables:
            lines += ["", table.title]
            if not table.rows:
                lines.append(f"  {table.empty}")
            links = table.links or [None] * len(table.rows)
            for row, link in zip(table.rows, links, strict=True):
                label = isinstance(row[0], str)  # a row named by its first cell
                cells = " · ".join(
                    str(value) if label and i == 0 else f"{head} {value}"
                    for i, (head, value) in enumerate(zip(table.headers, row, strict=True))
                )
                lines.append(f"  {cells}" + (f"  <{base_url}{link}>" if link else ""))
            if table.note:
                lines += [f"  {line}" for line in table.note.split("\n")]
    return "\n".join(lines)
