"""The Saturday report (webapp/renovation/report_digest.py) in the weekly report the alerts
send on Saturday at 09:00: the estate's renovation week, stored as the report's numbers and
drawn in the email and its files."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.webapp.alerts import test_digests
from tests.webapp.alerts.conftest import choose, read
from tests.webapp.alerts.test_digests import (
    attachments,
    digests_of,
    local,
    pdf_text,
    run_at,
    workbook,
)
from webapp.extensions import db
from webapp.models.digests import AlertDigest
from webapp.renovation.report import Week

today = test_digests.today  # the fixture: a local date near the demo's


def test_the_weekly_report_carries_the_saturday_report(app, clock, jobs, people, inbox, today):
    """Does Saturday's weekly report hold the renovation week of the digest's own days, named
    by its week, in the email, the PDF and the workbook, linking to the full report?"""
    saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    week = Week.due_by(saturday)
    choose(app, people["supervisor"], digest_weekly=True)
    run_at(app, clock, jobs, local(saturday, 9, 0))
    [mail] = digests_of(inbox, "每週報告")
    with app.app_context():
        data = db.session.scalar(sa.select(AlertDigest.data))
    numbers = data["estates"][0]["sections"]["renovation"]
    assert numbers["week"] == week.as_json()
    assert (week.first.isoformat(), week.last.isoformat()) == (data["first"], data["last"])
    assert numbers["patrols"]["due"] > 0  # the demo's renovating units, every day
    html = read(mail).get_body(("html",)).get_content()
    assert "裝修巡檢：應巡與完成" in html and "/renovation/report?estate=" in html
    assert "整改通知單" in pdf_text(attachments(mail)[f"weekly-report-{saturday}.pdf"])
    sheets = workbook(attachments(mail)[f"weekly-report-{saturday}.xlsx"])
    assert any(title.startswith("違規情況") for title in sheets), list(sheets)
