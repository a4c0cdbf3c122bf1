"""The checks export says how each check reached its item and why it was not scanned, and the
workbook adds each patroller's share of scanned checks, agreeing with its own lines."""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from sync.merge import Actor, push
from webapp.extensions import db
from webapp.models import Estate, LabelCode, Sign
from webapp.paper import export

REACHED, WHY, WHO = "方式 Reached by", "未掃描原因 Why not scanned", "巡查人 Inspector"


@pytest.fixture
def typed(app, walked):
    """One more check of the first estate, its code typed because the label was unreadable."""
    with app.app_context():
        estate = db.session.get(Estate, walked["estate"])
        tz = ZoneInfo(estate.timezone)
        sign = db.session.scalars(
            sa.select(Sign).where(Sign.estate_id == estate.id, Sign.active).order_by(Sign.id)
        ).all()[1]
        code = db.session.scalar(
            sa.select(LabelCode.code).where(
                LabelCode.item_type == "sign", LabelCode.item_id == sign.id, LabelCode.active
            )
        )
        day = walked["day"]
        at = datetime(day.year, day.month, day.day, 10, 15, tzinfo=tz)
        op = {
            "op_id": str(uuid.uuid4()),
            "type": "check.record",
            "occurred_at": at.isoformat(),
            "payload": {
                "id": str(uuid.uuid4()),
                "code": code,
                "method": "typed",
                "manual_reason": "label_unreadable",
                "result": "ok",
                "answers": {},
                "photos": [],
            },
        }
        (answer,) = push(db.session, Actor(walked["patrol"], [estate.id]), [op], datetime.now(UTC))
        assert answer["status"] == "applied", answer
        db.session.commit()
        return op["payload"]["id"]


def _query(walked) -> dict:
    day = walked["day"]
    return {
        "estate": walked["estate"],
        "start": (day - timedelta(days=3)).isoformat(),
        "end": day.isoformat(),
    }


def test_each_line_says_why_it_was_not_scanned(client, auth, walked, typed):
    """Does every line carry how its item was reached and, beside it, why it was not scanned:
    the reason in Chinese, 未說明原因 for a pick with none, nothing for a scan?"""
    auth.login("supervisor")
    response = client.get("/forms/checks.csv", query_string=_query(walked))
    header, *body = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert header.index(WHY) == header.index(REACHED) + 1
    by_id = {r[header.index("檢查編號 Check id")]: r for r in body}
    line = by_id[typed]
    assert (line[header.index(REACHED)], line[header.index(WHY)]) == ("輸入短碼", "標籤無法讀取")
    picked = by_id[walked["check_ids"][1]]  # the renovation check picked from the list
    assert (picked[header.index(REACHED)], picked[header.index(WHY)]) == ("手動選取", "未說明原因")
    scanned = by_id[walked["check_ids"][0]]
    assert (scanned[header.index(REACHED)], scanned[header.index(WHY)]) == ("掃描", "")


def test_the_workbook_adds_each_patrollers_share(client, auth, walked, typed):
    """Does the XLSX hold a second sheet "By patroller" whose counts agree with the lines of
    the first (checks, scanned, typed, picked, share scanned rounded down, no reason), for the
    reader's estate only?"""
    auth.login("supervisor")
    response = client.get("/forms/checks.xlsx", query_string=_query(walked))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["checks", "By patroller"]
    lines = [
        ["" if v is None else str(v) for v in r] for r in book["checks"].iter_rows(values_only=True)
    ]
    header, body = lines[0], lines[1:]
    counted = Counter(
        (r[header.index(WHO)], r[header.index(REACHED)], r[header.index(WHY)] == "未說明原因")
        for r in body
    )
    summary = [list(r) for r in book["By patroller"].iter_rows(values_only=True)]
    assert summary[0] == export.PATROLLER_HEADERS
    assert summary[1:], "no patroller in the summary"
    estate_names = {r[0] for r in body}
    for estate, who, total, scan, typed_n, picked, pct, no_reason in summary[1:]:
        assert estate in estate_names
        mine = {k: n for k, n in counted.items() if k[0] == who}
        assert total == sum(mine.values())
        assert scan == sum(n for k, n in mine.items() if k[1] == "掃描")
        assert typed_n == sum(n for k, n in mine.items() if k[1] == "輸入短碼")
        assert picked == sum(n for k, n in mine.items() if k[1] == "手動選取")
        assert no_reason == sum(n for k, n in mine.items() if k[2])
        assert pct == scan * 100 // total
    assert typed_n >= 1 and no_reason >= 1  # the typed check and the unexplained pick
    assert len({r[1] for r in summary[1:]}) == len(summary) - 1  # one line per patroller


def test_the_summary_keeps_to_the_estates_asked_for(app, walked, seed):
    """Is another estate's patroller never counted in the first estate's summary, and the
    second estate's checks never in the first's counts?"""
    with app.app_context():
        first = db.session.get(Estate, walked["estate"])
        second = db.session.get(Estate, walked["other_estate"])
        day = walked["day"]
        lo = day - timedelta(days=3)
        one = export.by_patroller(db.session, [first], lo, day)
        both = export.by_patroller(db.session, [first, second], lo, day)
    assert {r[0] for r in one} == {first.name}
    assert [r for r in both if r[0] == first.name] == one
    assert sum(r[2] for r in both) > sum(r[2] for r in one)  # the demo walks both estates


def test_the_printed_grid_marks_picks_and_prints_the_shares(client, auth, walked):
    """Does the printed coverage grid mark the renovation check picked with no reason (完成 !),
    explain the marks, and print the share scanned overall, per patroller and per round?"""
    from tests.webapp.paper.test_forms import pdf_text

    auth.login("supervisor")
    response = client.get(
        "/forms/coverage.pdf",
        query_string={"estate": walked["estate"], "day": walked["day"].isoformat(), "view": "day"},
    )
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "完成 !" in text
    assert "≡＝手動選取" in text and "!＝手動選取，未說明原因" in text
    assert "掃描比例 Scanned" in text and "未說明原因 No reason given" in text
    assert "各巡查人掃描比例" in text and "各巡查掃描比例" in text
    assert "裝修巡檢" in text and "%" in text
