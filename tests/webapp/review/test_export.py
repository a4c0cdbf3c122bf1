"""Exports hold exactly the rows the list shows for the same filters, in the same order."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC

import pytest
from openpyxl import load_workbook

from tests.webapp.review.conftest import make_finding
from webapp.extensions import db
from webapp.models.sync import Finding
from webapp.review import workflow

ROW_ID = re.compile(r'href="/review/findings/([0-9a-f-]{36})"')


def _screen_ids(client, query: str) -> list[str]:
    ids, page = [], 1
    while True:
        html = client.get(f"/review/findings?{query}&page={page}").get_data(as_text=True)
        table = html.split('id="findings-table"', 1)[1]
        found = ROW_ID.findall(table)
        ids += found
        if 'rel="next"' not in table and f"page={page + 1}" not in table:
            return ids
        page += 1


@pytest.fixture
def many(app, seed):
    """Findings of every severity and status, some dispatched, some overdue."""
    from webapp.models import User

    with app.app_context():
        sup = db.session.scalar(db.select(User).where(User.username == "supervisor"))
        severities = ["low", "medium", "high", "critical"]
        for i in range(64):
            fid = make_finding(
                seed.estate_ids[0],
                note=f"第{i}件 {'漏水' if i % 3 == 0 else '照明'}",
                category=["漏水", "照明故障", "門窗損壞"][i % 3],
                severity=severities[i % 4],
                days_ago=i * 0.5 + 0.1,
            )
            f = db.session.get(Finding, fid)
            if i % 2 == 0:
                from datetime import datetime

                due = (
                    datetime(2000, 1, 1, tzinfo=UTC)
                    if i % 4 == 0
                    else datetime(2099, 1, 1, tzinfo=UTC)
                )
                workflow.move(
                    db.session,
                    sup,
                    f,
                    "dispatched",
                    department=["engineering", "cleaning"][i % 4 // 2],
                    due_at=due,
                )
            if i % 8 == 0:
                workflow.move(db.session, sup, f, "fixed")
            if i % 16 == 0:
                workflow.move(db.session, sup, f, "reinspected")
                workflow.move(db.session, sup, f, "closed")
        db.session.commit()


QUERIES = [
    "",
    "status=all",
    "severity=high",
    "department=engineering",
    "department=none",
    "overdue=1",
    "category=漏水&status=all",
    "q=照明",
    "status=closed",
    "status=dispatched&severity=critical",
]


@pytest.mark.parametrize("query", QUERIES)
def test_exports_match_the_screen_row_for_row(client, auth, many, query):
    """Do the CSV and XLSX list the same findings, in order, as the screen's pages?"""
    auth.login("supervisor")
    screen = _screen_ids(client, query)
    csv_rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/review/findings.csv?{query}").get_data(as_text=True).lstrip("\ufeff")
            )
        )
    )
    assert csv_rows[0][0] == "編號"
    assert [r[0] for r in csv_rows[1:]] == screen
    book = load_workbook(
        io.BytesIO(client.get(f"/review/findings.xlsx?{query}").data), read_only=True
    )
    xlsx_ids = [row[0] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert xlsx_ids == screen


def test_list_pages_and_filters_narrow(client, auth, many):
    """Does the list page at 50 and do the filters actually narrow it?"""
    auth.login("supervisor")
    all_ids = _screen_ids(client, "status=all")
    assert len(all_ids) >= 64 and len(set(all_ids)) == len(all_ids)
    first_page = ROW_ID.findall(client.get("/review/findings?status=all").get_data(as_text=True))
    assert len(first_page) == 50
    high = _screen_ids(client, "severity=high")
    assert 0 < len(high) < len(all_ids)
    # Due in 2000 for every fourth; a quarter of those (every 16th) are closed, so not overdue.
    assert len(_screen_ids(client, "overdue=1")) == 12
