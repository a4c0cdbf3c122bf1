"""The heavy review and rounds reads use the indexes docs/review.md names (plans, not timings).

Each test runs the real code, records the SQL it sends, and asks the database for the plan of
the statement that matters. On PostgreSQL sequential scans are switched off for the EXPLAIN,
so the question is whether the index *can* answer the statement (a partial index whose
predicate the query does not imply cannot), not what the planner picks on a tiny table.
"""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Estate, User
from webapp.models.types import utcnow


@contextmanager
def _recorded():
    statements: list[tuple[str, object]] = []

    def listen(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)


def _plan(statement: str, parameters) -> str:
    conn = db.session.connection()  # the session's own: a second one could wait on its lock
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return "\n".join(r[0] for r in rows)
    rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return "\n".join(str(r[-1]) for r in rows)


def _one(statements, *needles: str) -> tuple[str, object]:
    # Quotes dropped: SQLite quotes the table name "key", PostgreSQL does not.
    found = [s for s in statements if all(n in s[0].replace('"', "") for n in needles)]
    assert found, f"no statement with {needles}"
    return found[0]


def test_checks_flagged_for_clock_skew_are_read_through_their_partial_index(app, seed):
    """Today's coverage reads an estate's skew-flagged checks by receipt time: does the plan use
    the partial index (the predicate must match how SQLAlchemy writes the Boolean test)?"""
    from webapp.rounds import service

    with app.app_context():
        estate = db.session.get(Estate, seed.estate_ids[0])
        now = utcnow()
        with _recorded() as statements:
            service.coverage(db.session, estate, now.date(), now, labels=False)
        db.session.rollback()
        statement, parameters = _one(statements, "FROM check_record", "received_at >=")
        assert "ix_check_record_estate_skewed_received" in _plan(statement, parameters)


def test_dashboard_counts_open_findings_from_two_indexes_without_a_join(app, seed):
    """The dashboard's open-findings counts: one pass over the findings' status index (it
    carries severity and the time), one over the desk states' open index, neither joined."""
    from webapp.review import tables

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        params = tables.Params(
            user=user, ids=list(seed.estate_ids), estate=None, days=7, now=utcnow()
        )
        with _recorded() as statements:
            counts = tables.open_counts(params)
        assert sum(counts["severity"].values()) == sum(counts["department"].values())
        findings = _one(statements, "FROM finding ", "finding.severity")
        states = _one(statements, "FROM finding_state", "finding_state.department")
        for (statement, parameters), index in (
            (findings, "ix_finding_estate_status_time"),
            (states, "ix_finding_state_open"),
        ):
            assert " JOIN " not in statement.upper()
            assert index in _plan(statement, parameters)


def test_home_summaries_count_units_and_keys_by_status_from_their_indexes(app, client, auth, seed):
    """The estates' unit and key counts by status (home and dashboard pages) read
    ``ix_unit_estate_status`` and ``ix_key_estate_status``."""
    auth.login("supervisor")
    with app.app_context(), _recorded() as statements:
        assert client.get("/").status_code == 200
    with app.app_context():
        for table, index in (
            ("FROM unit", "ix_unit_estate_status"),
            ("FROM key", "ix_key_estate_status"),
        ):
            statement, parameters = _one(statements, table + " ", "GROUP BY", ".status")
            assert index in _plan(statement, parameters)


def test_a_checkpoints_learning_fixes_are_read_through_the_item_index(app, seed):
    """Proof of presence learns a page's checkpoints' positions in one query: does each item
    walk its checks through ``ix_check_record_item_time`` (in time order, stopping at the
    fifth good fix) rather than the estate's whole history?"""
    from webapp.models import Sign
    from webapp.rounds import presence

    with app.app_context():
        signs = db.session.scalars(
            sa.select(Sign.id).where(Sign.estate_id == seed.estate_ids[0]).limit(3)
        ).all()
        with _recorded() as statements:
            presence.positions(db.session, seed.estate_ids[0], [("sign", s) for s in signs])
        statement, parameters = _one(statements, "FROM sign", "LIMIT")
        if db.session.connection().dialect.name == "postgresql":
            # With no statistics PostgreSQL may guess an estate holds 2 checks and read them
            # all by ix_check_record_estate_id; told the truth, it seeks each item.
            db.session.connection().exec_driver_sql("ANALYZE check_record")
        assert "ix_check_record_item_time" in _plan(statement, parameters)


def test_the_dashboard_counts_clock_off_checks_from_their_partial_index(app, seed):
    """The dashboard counts each estate's checks from phones whose clock was off, received in
    the last 30 days: does it read only the flagged ones, through their partial index?"""
    from webapp.review import dashboard

    with app.app_context():
        with _recorded() as statements:
            dashboard.skewed(list(seed.estate_ids), utcnow())
        statement, parameters = _one(statements, "FROM check_record", "GROUP BY")
        assert "ix_check_record_estate_skewed_received" in _plan(statement, parameters)
        # Findings too: 110 k of them were scanned whole for the few flagged.
        statement, parameters = _one(statements, "FROM finding ", "GROUP BY")
        assert "ix_finding_estate_skewed_received" in _plan(statement, parameters)


def test_the_most_overdue_are_read_in_due_order_from_the_open_index(app, seed):
    """The eight most overdue over several estates: is each (estate, open status) range of
    ``ix_finding_state_open`` read in due order (PostgreSQL: a few rows of each, LATERAL),
    rather than every overdue finding sorted?"""
    from webapp.review import dashboard

    with app.app_context():
        with _recorded() as statements:
            dashboard.most_overdue(list(seed.estate_ids), utcnow(), 8)
        statement, parameters = _one(statements, "FROM finding_state")
        plan = _plan(statement, parameters)
        assert "ix_finding_state_open" in plan
        if db.session.connection().dialect.name == "postgresql":
            assert "LATERAL" in statement.upper() and "Limit" in plan
