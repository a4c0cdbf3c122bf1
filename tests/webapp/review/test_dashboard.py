"""The dashboard's numbers are those of the user's estates, counted the way the list filters."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from tests.webapp.review.conftest import make_finding
from webapp.extensions import db
from webapp.models import Estate, Unit, User
from webapp.models.review import OPEN_STATUSES, FindingState
from webapp.models.sync import Check, Finding
from webapp.models.types import utcnow
from webapp.review import dashboard, workflow


def test_counts_match_the_findings_and_units(app, seed):
    """Do severity, department, overdue and vacant-unvisited counts match a direct count?"""
    estate = seed.estate_ids[0]
    with app.app_context():
        sup = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        fids = [make_finding(estate, severity=s) for s in ("low", "critical", "critical")]
        make_finding(seed.estate_ids[1], severity="critical")  # not the supervisor's
        f = db.session.get(Finding, fids[1])
        before = dashboard.dashboard(sup, vacant_days=7)
        workflow.move(
            db.session,
            sup,
            f,
            "dispatched",
            department="security",
            due_at=utcnow() - timedelta(days=1),
        )
        db.session.commit()
        board = dashboard.dashboard(sup, vacant_days=7)
        open_rows = db.session.execute(
            sa.select(Finding.severity, sa.func.count())
            .where(Finding.estate_id == estate, Finding.status.in_(OPEN_STATUSES))
            .group_by(Finding.severity)
        ).all()
        for severity, n in open_rows:
            assert board.by_severity[severity] == n
        assert board.open_total == sum(n for _s, n in open_rows)
        # The demo history has worked some findings already: compare with just before the move.
        assert board.by_department["security"] == before.by_department.get("security", 0) + 1
        assert board.overdue_total == before.overdue_total + 1
        assert fids[1] in {o.finding.id for o in board.overdue}
        since = utcnow() - timedelta(days=7)
        expected = 0
        for unit in db.session.scalars(
            sa.select(Unit).where(Unit.estate_id == estate, Unit.active, Unit.status == "vacant")
        ):
            # A visit is a check that got in: a refusal or nobody home is none.
            last = db.session.scalar(
                sa.select(sa.func.max(Check.occurred_at)).where(
                    Check.item_type == "unit",
                    Check.item_id == unit.id,
                    Check.result != "no_access",
                )
            )
            expected += last is None or last < since
        assert board.vacant.total == expected
        # Per-day counts run over the estate's last 30 calendar days (its zone, not UTC).
        zone = ZoneInfo(db.session.get(Estate, estate).timezone)
        first = board.per_day[0][0]
        seen = db.session.scalars(
            sa.select(Finding.occurred_at).where(
                Finding.estate_id == estate, Finding.occurred_at >= utcnow() - timedelta(days=32)
            )
        ).all()
        assert sum(n for _d, n in board.per_day) == sum(
            1 for at in seen if at.astimezone(zone).date() >= first
        )


def test_age_buckets_count_each_open_finding_once_by_days_since_seen(app, seed):
    """Open findings seen 0.5, 3, 10 and 40 days ago land in 0-1, 1-7, 7-30 and 30+: do the
    dashboard's age counts equal each open finding's age counted by hand, closed ones left out?"""
    estate = seed.estate_ids[0]
    with app.app_context():
        sup = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        for days in (0.5, 3, 10, 40, 0.2):
            make_finding(estate, days_ago=days)
        closed = db.session.get(Finding, make_finding(estate, days_ago=2))
        workflow.move(db.session, sup, closed, "closed")
        db.session.commit()
        now = utcnow()
        board = dashboard.dashboard(sup, estate=estate, now=now)
        expected = {"0-1": 0, "1-7": 0, "7-30": 0, "30+": 0}
        for at in db.session.scalars(
            sa.select(Finding.occurred_at).where(
                Finding.estate_id == estate, Finding.status.in_(OPEN_STATUSES)
            )
        ):
            age = (now - at).total_seconds() / 86400
            expected["0-1" if age < 1 else "1-7" if age < 7 else "7-30" if age < 30 else "30+"] += 1
        assert board.by_age == expected
        assert expected["0-1"] >= 2 and expected["30+"] >= 1
        assert sum(board.by_age.values()) == board.open_total


def test_department_and_overdue_counts_match_a_join_after_every_kind_of_move(app, seed):
    """The dashboard counts departments and overdue findings from the desk states' copy of the
    status: after dispatches, a due date set on an untouched finding, a close and a reopen, do
    they still equal a direct count joining the findings, and does every copy match?"""
    estate = seed.estate_ids[0]
    with app.app_context():
        sup = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        past = utcnow() - timedelta(days=2)
        fids = [make_finding(estate, severity="high") for _ in range(4)]
        a, b, c, d = (db.session.get(Finding, fid) for fid in fids)
        workflow.move(db.session, sup, a, "dispatched", department="cleaning", due_at=past)
        workflow.set_due(db.session, sup, b, past)  # a state with no department, still open
        workflow.move(db.session, sup, c, "dispatched", department="security", due_at=past)
        workflow.move(db.session, sup, c, "closed")
        workflow.move(db.session, sup, d, "closed")
        workflow.move(db.session, sup, d, "reopened")
        db.session.commit()

        mismatched = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(FindingState)
            .join(Finding, Finding.id == FindingState.finding_id)
            .where(FindingState.status != Finding.status)
        )
        assert mismatched == 0

        board = dashboard.dashboard(sup, estate=estate)
        now = utcnow()
        rows = db.session.execute(
            sa.select(FindingState.department, FindingState.due_at)
            .select_from(Finding)
            .outerjoin(FindingState, FindingState.finding_id == Finding.id)
            .where(Finding.estate_id == estate, Finding.status.in_(OPEN_STATUSES))
        ).all()
        expected = {}
        for department, _due in rows:
            expected[department or "none"] = expected.get(department or "none", 0) + 1
        assert {k: v for k, v in board.by_department.items() if v} == expected
        assert board.overdue_total == sum(1 for _dep, due in rows if due and due < now)
        assert board.by_department["none"] >= 2  # b (due date only) and d (reopened)


def test_rounds_section_shows_todays_windows_as_the_rounds_count_them(app, client, auth, seed):
    """Does the coverage section show each of today's windows with the rounds area's counts?"""
    from webapp.review import tables

    auth.login("supervisor")
    html = client.get("/").get_data(as_text=True)
    dash = html.split('id="dash-rounds"', 1)[1].split("</section>", 1)[0]
    assert 'hx-get="/review/coverage-today"' in dash
    section = client.get("/review/coverage-today").get_data(as_text=True)
    with app.app_context():
        (estate,) = tables.coverage_today([seed.estate_ids[0]], utcnow())
        assert estate["windows"], "the demo's rounds have windows every day"
        for w in estate["windows"]:
            assert w["round"] in section
            assert f"<strong>{w['done']}</strong> / {w['expected']}" in section
    assert "/rounds/coverage?estate=" in section
