"""The coverage page reads the database a fixed number of times, whatever the number of
checkpoints, cells, checks and flags it shows: nothing is read per item or per cell."""

from __future__ import annotations

import math
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.webapp.rounds.conftest import add_check
from webapp.extensions import db
from webapp.models import Estate
from webapp.models.sync import Check
from webapp.rounds.presence import EARTH_M

HOME = (25.0330, 121.5654)


@contextmanager
def _selects():
    statements: list[str] = []

    def listen(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)


def _fix(metres: float, accuracy: float = 8.0) -> dict:
    return {
        "geo_lat": HOME[0] + math.degrees(metres / EARTH_M),
        "geo_lon": HOME[1],
        "geo_accuracy_m": accuracy,
    }


def _walk(signs, start: datetime, far: bool) -> None:
    """Each sign: five good fixes at HOME a month before, then on the week's days a check
    in each signage window (typed, picked or scanned), the last far when ``far``, and two
    signs checked seconds apart (a fast sequence)."""
    for sign in signs:
        for n in range(5):
            add_check(sign, start - timedelta(days=30 - n), **_fix(float(n)))
        for day in range(7):
            for hour, method in ((9, "scan"), (15, "typed" if day % 2 else "manual")):
                at = start + timedelta(days=day, hours=hour, seconds=sign % 50)
                add_check(sign, at, method=method, **_fix(400.0 if far and day == 6 else 3.0))
    add_check(signs[0], start + timedelta(days=2, hours=10), **_fix(2.0))
    add_check(signs[1], start + timedelta(days=2, hours=10, seconds=3), **_fix(2.0))


def test_a_busier_week_costs_no_more_reads(app, client, auth, seed, rounds):
    """Does a week with every sign checked twice a day, marked, far and fast cost the same
    number of SELECTs as a week with two signs checked?"""
    with app.app_context():
        db.session.execute(sa.update(Check).values(geo_lat=None, geo_lon=None, geo_accuracy_m=None))
        tz = ZoneInfo(db.session.get(Estate, seed.estate_ids[0]).timezone)
        quiet = datetime(2025, 6, 2, tzinfo=tz)
        busy = datetime(2025, 6, 16, tzinfo=tz)
        _walk(rounds[:2], quiet, far=True)
        _walk(rounds, busy, far=True)
        db.session.commit()
    auth.login("supervisor")
    counts, pages = [], []
    for start in (quiet, busy):
        last = (start + timedelta(days=6)).date().isoformat()
        url = f"/rounds/coverage?estate={seed.estate_ids[0]}&date={last}&view=week"
        assert client.get(url).status_code == 200  # opens the week's windows first
        with app.app_context(), _selects() as statements:
            page = client.get(url).get_data(as_text=True)
        counts.append(len(statements))
        pages.append(page)
    assert len(rounds) >= 10
    assert pages[1].count("cov-how-") > 5 * pages[0].count("cov-how-") > 0
    assert pages[1].count("/records/checks/") > pages[0].count("/records/checks/") > 0
    assert 'id="fast-title"' in pages[0] and 'id="fast-title"' in pages[1]
    assert counts[0] == counts[1], counts
