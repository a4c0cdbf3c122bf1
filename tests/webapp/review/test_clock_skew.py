"""Phone clocks off on the dashboard: per estate, the checks and findings received in the last
30 days from a phone whose clock was off, linking to a table that lists each one."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.webapp.review.conftest import make_finding
from webapp.extensions import db
from webapp.models import Sign, User
from webapp.models.sync import Check, Finding
from webapp.models.types import utcnow
from webapp.review import dashboard, tables


def _check(estate_id: int, received_days_ago: float, skewed: bool, ahead_h: float = 2.0) -> str:
    """A check of the estate's first sign, received ``received_days_ago``, its phone's clock
    ``ahead_h`` hours ahead when ``skewed``."""
    sign = db.session.scalars(
        sa.select(Sign).where(Sign.estate_id == estate_id).order_by(Sign.id)
    ).first()
    patrol = db.session.scalar(sa.select(User.id).where(User.username == "patrol"))
    received = utcnow() - timedelta(days=received_days_ago)
    check_id = str(uuid.uuid4())
    db.session.add(
        Check(
            id=check_id,
            op_id=str(uuid.uuid4()),
            user_id=patrol,
            occurred_at=received + timedelta(hours=ahead_h if skewed else 0),
            received_at=received,
            clock_skewed=skewed,
            estate_id=estate_id,
            item_type="sign",
            item_id=sign.id,
            code="",
            method="scan",
            result="ok",
            answers={},
        )
    )
    return check_id


@pytest.fixture
def skewed(app, seed):
    """The first estate: two flagged checks this month (one 2 h ahead, one 9 days behind), one
    flagged 40 days ago, one on time, a flagged finding and an unflagged one; the second
    estate: three flagged checks and a flagged finding."""
    first, second = seed.estate_ids
    with app.app_context():
        ids = {
            "ahead": _check(first, 1, True, ahead_h=2),
            "behind": _check(first, 3, True, ahead_h=-24 * 9),
            "old": _check(first, 40, True),
            "on_time": _check(first, 1, False),
            "theirs": [_check(second, 2, True) for _ in range(3)],
        }
        db.session.commit()
        ids["finding"] = make_finding(first, days_ago=5)
        ids["plain_finding"] = make_finding(first, days_ago=5)
        ids["their_finding"] = make_finding(second, days_ago=5)
        db.session.execute(
            sa.update(Finding)
            .where(Finding.id.in_([ids["finding"], ids["their_finding"]]))
            .values(clock_skewed=True)
        )
        db.session.commit()
        return ids


def test_the_dashboard_counts_each_estates_clock_off_records(app, seed, skewed):
    """Are each estate's flagged checks and findings of the last 30 days counted by receipt
    time — not the old one, not the unflagged ones — and each estate apart?"""
    with app.app_context():
        counted = dashboard.skewed(list(seed.estate_ids), utcnow())
    assert [(s.estate_id, s.checks, s.findings) for s in counted] == [
        (seed.estate_ids[0], 2, 1),
        (seed.estate_ids[1], 3, 1),
    ]


def test_the_card_shows_the_readers_estates_and_links_to_the_list(client, auth, seed, skewed):
    """Does the supervisor's dashboard show the card with the first estate's counts, linking
    to the list, and nothing of the second estate?"""
    auth.login("supervisor")
    page = client.get("/").get_data(as_text=True)
    card = page.split('id="dash-clock"', 1)[1].split("</section>", 1)[0]
    assert f"/review/tables/skewed?estate={seed.estate_ids[0]}" in card
    assert '<td class="num warn-text">2</td><td class="num warn-text">1</td>' in card
    assert f"estate={seed.estate_ids[1]}" not in card


def test_the_list_names_each_record_and_links_to_it(client, auth, seed, skewed):
    """Does the full table list the flagged checks and finding (newest received first), say how
    far the clock was off, link each to its record, and keep to the reader's estates — with
    the same rows, as text, in its CSV?"""
    auth.login("supervisor")
    page = client.get("/review/tables/skewed").get_data(as_text=True)
    body = page.split('id="review-table"', 1)[1]
    assert f'href="/records/checks/{skewed["ahead"]}"' in body
    assert f'href="/records/checks/{skewed["behind"]}"' in body
    assert f'href="/review/findings/{skewed["finding"]}"' in body
    for absent in (skewed["old"], skewed["on_time"], skewed["plain_finding"], *skewed["theirs"]):
        assert absent not in body
    assert (
        body.index(skewed["ahead"]) < body.index(skewed["behind"]) < body.index(skewed["finding"])
    )
    assert "快 2 小時" in body and "慢 9 天" in body
    response = client.get("/review/tables/skewed.csv")
    header, *rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 3 and header[-1] == "時鐘偏差"
    assert [r[1] for r in rows] == ["檢查", "檢查", "報事"]
    assert "href" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("ahead", "said"),
    [
        (timedelta(minutes=6), "快 6 分鐘"),
        (timedelta(hours=3), "快 3 小時"),
        (-timedelta(days=8, hours=2), "慢 8 天"),
        (-timedelta(hours=47), "慢 47 小時"),
    ],
)
def test_how_far_a_clock_was_off_is_said_in_a_persons_units(app, ahead, said):
    """Is a clock's offset said in minutes, hours or days, ahead or behind?"""
    received = utcnow()
    with app.test_request_context():
        assert tables.off_by(received + ahead, received) == said
