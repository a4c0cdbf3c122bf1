"""Scanned, typed or picked: the coverage page's shares per patroller and per round, and the
mark on each grid cell for how its check reached the checkpoint."""

from __future__ import annotations

import html as htmllib
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.webapp.rounds.conftest import add_check
from webapp.extensions import db
from webapp.models import Estate, Sign, User
from webapp.models.rounds import RoundTemplate
from webapp.rounds import presence

DAY = "2025-06-03"
ROW = re.compile(r'<tr>\s*<th scope="row">(.*?)</th>(.*?)</tr>', re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
TAG = re.compile(r"<[^>]+>")


def _text(fragment: str) -> str:
    return htmllib.unescape(TAG.sub("", fragment)).strip()


@pytest.fixture
def mixed(app, seed, rounds):
    """On DAY in the first estate: patrol scans three signs, types one code (label
    unreadable), picks two from the list (one with a reason, one without: an older app) and
    checks one more sign outside any round; patrol2 scans one and picks one with no reason. A
    flagged clock counts on its receipt day. The second estate has checks on DAY too."""
    with app.app_context():
        estate = db.session.get(Estate, seed.estate_ids[0])
        tz = ZoneInfo(estate.timezone)
        signage = db.session.scalar(
            sa.select(RoundTemplate.id).where(
                RoundTemplate.estate_id == estate.id, RoundTemplate.kind == "signage"
            )
        )
        users = dict(db.session.execute(sa.select(User.username, User.id)).all())
        at = datetime(2025, 6, 3, 9, 0, tzinfo=tz)
        r = str(signage)
        s = rounds
        ids = {
            "scan": add_check(s[0], at, round_id=r),
            "typed": add_check(
                s[1], at + timedelta(minutes=1), round_id=r, method="typed",
                manual_reason="label_unreadable",
            ),
            "picked": add_check(
                s[2], at + timedelta(minutes=2), round_id=r, method="manual",
                manual_reason="label_damaged",
            ),
            "unexplained": add_check(
                s[3], at + timedelta(minutes=3), round_id=r, method="manual"
            ),
        }  # fmt: skip
        add_check(s[4], at + timedelta(minutes=4), round_id=r)
        add_check(s[5], at + timedelta(minutes=5))  # in no round
        # A flagged clock: its phone said 2025-05-01, the server got it on DAY.
        add_check(
            s[6], datetime(2025, 5, 1, 9, 0, tzinfo=tz), round_id=r, skewed=True,
            received=at + timedelta(minutes=6),
        )  # fmt: skip
        # Flagged the other way: the phone said DAY, the server got it the next day.
        add_check(
            s[7], at, round_id=r, skewed=True, received=at + timedelta(days=1), method="manual"
        )
        add_check(s[8], at + timedelta(minutes=7), round_id=r, user_id=users["patrol2"])
        add_check(
            s[9], at + timedelta(minutes=8), round_id=r, user_id=users["patrol2"], method="manual"
        )
        other = db.session.scalars(
            sa.select(Sign.id).where(Sign.estate_id == seed.estate_ids[1]).limit(2)
        ).all()
        add_check(other[0], at, method="manual")
        add_check(other[1], at, method="manual", user_id=users["patrol2"])
        db.session.commit()
        names = {
            u.username: u.display_name or u.username
            for u in db.session.scalars(sa.select(User).where(User.id.in_(users.values())))
        }
        return {"ids": ids, "signage": signage, "names": names, "signs": s}


def test_shares_count_each_patrollers_and_each_rounds_checks(app, seed, mixed):
    """Are the day's checks counted by how they were made, per patroller and per round (no
    round last), by effective time, with picks lacking a reason counted apart, and nothing of
    the other estate?"""
    with app.app_context():
        estate = db.session.get(Estate, seed.estate_ids[0])
        lo = datetime(2025, 6, 3, tzinfo=ZoneInfo(estate.timezone))
        people, rounds = presence.shares(db.session, estate, lo, lo + timedelta(days=1))
    names = mixed["names"]
    got = {p.name: (p.scan, p.typed, p.manual, p.no_reason, p.scanned_pct) for p in people}
    assert got == {
        names["patrol"]: (4, 1, 2, 1, 57),  # 4 of 7 scanned: 57 %, rounded down
        names["patrol2"]: (1, 0, 1, 1, 50),
    }
    assert [(r.key, r.total, r.no_reason) for r in rounds] == [
        (str(mixed["signage"]), 8, 2),
        (None, 1, 0),
    ]


def test_share_is_rounded_down_and_none_without_checks():
    """Is the share scanned 100 % only when every check was scanned, and none for no checks?"""
    assert presence.Share(1, "a", scan=199, manual=1).scanned_pct == 99
    assert presence.Share(1, "a", scan=3).scanned_pct == 100
    assert presence.Share(1, "a").scanned_pct is None
    assert presence.Share(1, "a", typed=2, manual=1).scanned_pct == 0


def test_coverage_page_shows_the_share_tables(client, auth, seed, mixed):
    """Does the coverage page show each patroller's and each round's counts, share scanned and
    picks with no reason given?"""
    auth.login("supervisor")
    page = client.get(f"/rounds/coverage?estate={seed.estate_ids[0]}&date={DAY}").get_data(
        as_text=True
    )
    assert 'id="shares-title"' in page
    rows = {
        _text(name): [_text(c) for c in CELL.findall(cells)] for name, cells in ROW.findall(page)
    }
    assert rows[mixed["names"]["patrol"]] == ["7", "4", "1", "2", "57%", "1"]
    assert rows[mixed["names"]["patrol2"]] == ["2", "1", "0", "1", "50%", "1"]
    assert rows["不屬任何巡查"] == ["1", "1", "0", "0", "100%", "0"]
    assert "未說明原因" in page


def test_grid_cells_mark_how_their_check_was_made(client, auth, seed, mixed):
    """Does each done cell say how its check reached the sign — in words in its title and for
    screen readers, with a mark for typed and picked (and another for no reason) — and stay a
    link to the record?"""
    auth.login("supervisor")
    page = client.get(f"/rounds/coverage?estate={seed.estate_ids[0]}&date={DAY}").get_data(
        as_text=True
    )
    cells = re.findall(
        r'<a class="cov-cell cov-done" title="([^"]*)" href="([^"]*)">(.*?)</a>', page
    )
    titles = [htmllib.unescape(t) for t, _h, _b in cells]
    assert "完成 · 掃描" in titles
    assert "完成 · 輸入短碼（標籤無法讀取）" in titles
    assert "完成 · 手動選取（標籤損壞）" in titles
    assert "完成 · 手動選取（未說明原因）" in titles
    by_title = {htmllib.unescape(t): body for t, _h, body in cells}
    assert "cov-how" not in by_title["完成 · 掃描"]
    assert 'cov-how-typed" aria-hidden="true">#<' in by_title["完成 · 輸入短碼（標籤無法讀取）"]
    assert 'cov-how-manual" aria-hidden="true">≡<' in by_title["完成 · 手動選取（標籤損壞）"]
    assert 'cov-how-unexplained" aria-hidden="true">!<' in by_title["完成 · 手動選取（未說明原因）"]
    assert '<span class="rounds-sr">完成 · 手動選取（未說明原因）</span>' in page
    assert all(h.startswith("/records/cell?") for _t, h, _b in cells)
