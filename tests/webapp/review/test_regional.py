"""The regional view: a user of several estates sees them side by side on the dashboard, each
number one grouped read over every estate, so twenty estates cost the reads of two."""

from __future__ import annotations

import random
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.webapp.review.conftest import make_finding
from webapp.demo import DemoOptions, build_estate
from webapp.extensions import db
from webapp.models import Estate, Key, User
from webapp.models.sync import Finding
from webapp.models.types import utcnow
from webapp.review import dashboard, workflow
from webapp.review.regional import estate_lines
from webapp.rounds.service import ensure_defaults


def _line_cells(html: str, estate_id: int) -> list[str]:
    """The numbers of an estate's line on the regional table, as shown."""
    row = re.search(
        rf'<tr>\s*<th scope="row"><a href="/\?estate={estate_id}">.*?</tr>', html, re.S
    ).group(0)
    return re.findall(r">\s*(\d+)\s*</a>", row)


def test_a_regional_supervisor_sees_each_estate_side_by_side(app, client, auth, seed):
    """Does the regional supervisor's dashboard give one line per estate with its open and
    overdue findings and keys out, each linking to that estate's list; and does a
    supervisor of one estate get no such table?"""
    first, second = seed.estate_ids
    with app.app_context():
        sup = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        late = [make_finding(second) for _ in range(3)]
        make_finding(first)
        workflow.set_due(db.session, sup, db.session.get(Finding, late[0]), utcnow() - timedelta(1))
        db.session.commit()
        lines = {line.estate_id: line for line in estate_lines(seed.estate_ids, utcnow())}
        keys_out = {
            e: db.session.scalar(
                sa.select(sa.func.count()).where(
                    Key.estate_id == e, Key.active, Key.status == "out"
                )
            )
            for e in seed.estate_ids
        }
        opened = {
            e: db.session.scalar(
                sa.select(sa.func.count()).where(
                    Finding.estate_id == e, Finding.status.in_(("open", "dispatched", "fixed"))
                )
            )
            for e in seed.estate_ids
        }
    assert lines[second].overdue == 1 and lines[first].overdue == 0
    for e in seed.estate_ids:
        assert (lines[e].open, lines[e].keys_out) == (opened[e], keys_out[e])
    auth.login("regional")
    html = client.get("/").get_data(as_text=True)
    assert "各小區一覽" in html
    cells = _line_cells(html, second)
    assert cells[:3] == [str(opened[second]), "1", str(keys_out[second])]
    assert f'href="/review/findings?estate={second}&amp;overdue=1"' in html
    assert f'href="/keys/?estate={second}&amp;status=overdue"' in html
    assert f'id="cov-pct-{first}"' in html and f'id="cov-pct-{second}"' in html
    # One estate chosen: that estate's dashboard, no table of estates.
    assert "各小區一覽" not in client.get(f"/?estate={second}").get_data(as_text=True)
    auth.logout()
    auth.login("supervisor")
    assert "各小區一覽" not in client.get("/").get_data(as_text=True)


def test_todays_coverage_fills_each_estates_cell(app, client, auth, seed):
    """Does the coverage request send each estate's cell of the regional table (out of band)?"""
    auth.login("regional")
    html = client.get("/review/coverage-today").get_data(as_text=True)
    for estate_id in seed.estate_ids:
        assert re.search(rf'<td class="num" id="cov-pct-{estate_id}" hx-swap-oob="true">', html)
    auth.logout()
    auth.login("supervisor")
    assert "hx-swap-oob" not in client.get("/review/coverage-today").get_data(as_text=True)


@contextmanager
def _counted(app):
    """Count the SQL statements run inside the block."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def _supervisor_of(app, username: str, estate_ids: list[int]) -> None:
    with app.app_context():
        user = User(username=username, role="supervisor", display_name=username)
        user.set_password("long-enough-pass")
        user.estates = list(db.session.scalars(sa.select(Estate).where(Estate.id.in_(estate_ids))))
        db.session.add(user)
        db.session.commit()


def _reads_by_user(app, client, auth, estate_ids, url, line) -> dict[str, int]:
    """The statements of a second request of ``url`` (cache off; the first warms the session)
    by a supervisor of two estates, one of twenty and the organisation admin, each page
    checked to show ``line`` once per estate seen."""
    app.config["REVIEW_CACHE"] = False
    _supervisor_of(app, "two", estate_ids[:2])
    _supervisor_of(app, "twenty", estate_ids)
    counts = {}
    for username, password in (
        ("two", "long-enough-pass"),
        ("twenty", "long-enough-pass"),
        ("hq", None),
    ):
        auth.login(username, password)
        client.get(url)
        with _counted(app) as seen:
            html = client.get(url).get_data(as_text=True)
        counts[username] = len(seen)
        assert len(re.findall(line, html)) == (2 if username == "two" else 20), username
        auth.logout()
    return counts


@pytest.fixture
def twenty_estates(app, seed):
    """The seed's two estates and eighteen more (small), with an open and an overdue finding
    in each; returns every estate id."""
    with app.app_context():
        rng = random.Random(7)
        options = DemoOptions(units_per_estate=4)
        for index in range(2, 20):
            build_estate(db.session, index, options, rng)
        db.session.commit()
        ids = list(db.session.scalars(sa.select(Estate.id).order_by(Estate.id)))
        sup = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        for estate_id in ids:
            fid = make_finding(estate_id)
            workflow.set_due(db.session, sup, db.session.get(Finding, fid), utcnow() - timedelta(1))
        db.session.commit()
    return ids


def test_the_dashboard_reads_as_much_for_twenty_estates_as_for_two(
    app, client, auth, twenty_estates
):
    """Is the dashboard's number of queries the same for a supervisor of twenty estates as
    for one of two, and for the organisation admin (every estate)? One read per estate,
    anywhere on the page, would make it grow by eighteen."""
    counts = _reads_by_user(
        app,
        client,
        auth,
        twenty_estates,
        "/review/dashboard",
        r'<th scope="row"><a href="/\?estate=\d+',
    )
    assert counts["two"] == counts["twenty"], counts
    assert counts["hq"] <= counts["twenty"] + 1, counts  # + reading "every estate" once


def test_todays_coverage_reads_as_much_for_twenty_estates_as_for_two(
    app, client, auth, twenty_estates
):
    """Is the coverage request (the regional table's coverage column, the dashboard's round
    windows) the same number of queries for twenty estates as for two? It was about seven per
    estate (each estate's rounds, opened windows, registry and checks read alone)."""
    with app.app_context():
        for estate in db.session.scalars(sa.select(Estate)):
            ensure_defaults(db.session, estate)
        db.session.commit()
    # The first request opens today's windows begun so far.
    counts = _reads_by_user(
        app, client, auth, twenty_estates, "/review/coverage-today", r'id="cov-pct-\d+"'
    )
    assert counts["two"] == counts["twenty"], counts
    assert counts["hq"] <= counts["twenty"] + 1, counts  # + reading "every estate" once


def test_the_most_overdue_are_the_oldest_over_every_estate(app, seed):
    """The eight most overdue, read in one query over all the estates: the oldest due dates
    whichever estate they are in, closed findings left out."""
    with app.app_context():
        sup = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        now = utcnow()
        due = {}
        for n in range(10):
            estate_id = seed.estate_ids[n % 2]
            fid = make_finding(estate_id)
            due[fid] = now - timedelta(days=n + 1)
            workflow.set_due(db.session, sup, db.session.get(Finding, fid), due[fid])
        oldest = max(due, key=lambda f: now - due[f])
        workflow.move(db.session, sup, db.session.get(Finding, oldest), "closed")
        db.session.commit()
        found = dashboard.most_overdue(seed.estate_ids, now, 8)
        expected = sorted((d, f) for f, d in due.items() if f != oldest)[:8]
        assert [r[0].id for r in found] == [f for _d, f in expected]
        assert {r[0].estate_id for r in found} == set(seed.estate_ids)


def test_over_several_estates_a_building_is_named_with_its_estate(app, seed):
    """'1棟' is in every estate: the findings-by-building chart over several names each
    building with its estate, and over one estate keeps the plain name."""
    with app.app_context():
        for estate_id in seed.estate_ids:
            make_finding(estate_id)
        regional = db.session.scalar(sa.select(User).where(User.username == "regional"))
        names = dict(db.session.execute(sa.select(Estate.id, Estate.name)).all())
        both = [label for label, _n in dashboard.dashboard(regional).by_building]
        assert {label.split(" ")[0] for label in both} == set(names.values())
        one = dashboard.dashboard(regional, estate=seed.estate_ids[0]).by_building
        assert one and all(" " not in label for label, _n in one)
