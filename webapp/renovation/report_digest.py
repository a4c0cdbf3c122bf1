"""The Saturday report in the alerts' weekly report (docs/alerts.md, "Adding a section"): the
digest made on Saturday at 09:00 carries each estate's renovation week (``report.report`` —
the digest's seven days before its Saturday are the report's week) as tables in the reader's
language, linking to the full report with its PDF and workbook."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from webapp import i18n
from webapp.digest_registry import Table, section
from webapp.renovation import report
from webapp.renovation.report_tables import blocks

# The blocks the digest carries: the counts and the lists (the report's page has all).
SHOWN = ("patrols", "violations", "notices", "stop_works", "acceptances", "deposits",
         "open_notices", "overrun")  # fmt: skip
LINK_ARGS = {"renovation.notice_pdf": "notice_id", "renovation.permit": "permit_id"}


@section("weekly", name="renovation")
class RenovationWeek:
    """The estate's Saturday report of the digest's week."""

    @staticmethod
    def build(session, user, estate, period):
        week = report.Week.due_by(period.due)
        [numbers] = report.report(session, [estate], week, period.now)
        return numbers

    @staticmethod
    def tables(numbers):
        english = i18n.is_english()
        week = numbers["week"]["label"]
        full = url_for("renovation_report.page", estate=numbers["estate"]["id"], week=week)
        out = []
        for block in blocks(numbers, english):
            if block.name not in SHOWN:
                continue
            columns = {c for _r, c in block.bad}
            links = [
                url_for(link[0], **{LINK_ARGS[link[0]]: link[1]}) if link else full
                for link in block.links
            ] or [full] * len(block.rows)
            note = block.note_en if english else block.note_zh
            if block.more:
                more = _("%(n)d more not listed (in the files).", n=block.more)
                note = f"{note} {more}".strip()
            out.append(
                Table(
                    f"renovation_{block.name}",
                    f"{block.title(english)} · {week}",
                    block.headers(english),
                    block.rows,
                    links,
                    [any(r == i for r, _c in block.bad) for i in range(len(block.rows))],
                    note=note,
                    empty=_("None."),
                    bad_column=columns.pop() if len(columns) == 1 else None,
                )
            )
        return out
