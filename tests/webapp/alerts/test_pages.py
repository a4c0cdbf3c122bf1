"""The bell and the choices page: the header's unread count, the /alerts list with links,
opening one marks it read, mark all read, and the choices saved (and refused) in both
languages; nobody opens another person's alert."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import csrf_token_from
from tests.webapp.review.conftest import make_finding
from webapp import alert_events as events
from webapp.extensions import db
from webapp.models import Estate, Unit, User
from webapp.models.alerts import AlertDelivery, AlertPreference
from webapp.models.types import utcnow
from webapp.retention.purge import Periods, purge


def _alert(app, seed, clock, jobs, kind="critical_finding") -> str:
    with app.app_context():
        finding = make_finding(seed.estate_ids[0])
        events.record(
            db.session, kind, f"{kind}:{uuid.uuid4()}", occurred_at=clock.now,
            estate_id=seed.estate_ids[0], detail={"finding_id": finding},
        )  # fmt: skip
        db.session.commit()
    jobs()
    return finding


def _count(html: str) -> str | None:
    found = re.search(r'class="bell-count"[^>]*>([^<]+)<', html)
    return found.group(1) if found else None


def test_the_bell_counts_lists_and_opens(app, client, auth, people, seed, clock, jobs):
    """Two alerts: does the header say 2, the list show both with the finding's place, opening
    one go to the finding and leave 1, and mark-all-read leave none?"""
    first = _alert(app, seed, clock, jobs)
    _alert(app, seed, clock, jobs)
    auth.login("supervisor")
    page = client.get("/alerts").get_data(as_text=True)
    assert _count(page) == "2" and page.count('class="alert-item alert-unread"') == 2
    assert "緊急報事" in page
    with app.app_context():
        delivery = db.session.scalar(
            sa.select(AlertDelivery.id).where(
                AlertDelivery.channel == "bell",
                AlertDelivery.event_id.in_(
                    sa.select(events.AlertEvent.id).where(
                        events.AlertEvent.detail["finding_id"].as_string() == first
                    )
                ),
            )
        )
    token = csrf_token_from(page)
    opened = client.post("/alerts/open", data={"csrf_token": token, "delivery": delivery})
    assert opened.status_code == 303 and opened.location.endswith(f"/review/findings/{first}")
    assert _count(client.get("/").get_data(as_text=True)) == "1"
    client.post("/alerts/read", data={"csrf_token": token})
    assert _count(client.get("/alerts").get_data(as_text=True)) is None


def test_nobody_opens_another_persons_alert(app, client, auth, people, seed, clock, jobs):
    """The desk (estate 1) and supervisor2 (estate 2) posting the supervisor's alert: 404."""
    _alert(app, seed, clock, jobs)
    with app.app_context():
        delivery = db.session.scalar(sa.select(AlertDelivery.id))
    for username, password in (("desk", None), ("supervisor2", "supervisor2-demo")):
        auth.login(username, password)
        token = auth.csrf("/alerts")
        response = client.post("/alerts/open", data={"csrf_token": token, "delivery": delivery})
        assert response.status_code == 404
        assert "alert-item" not in client.get("/alerts").get_data(as_text=True)
        auth.logout()


def test_the_header_count_is_one_indexed_query(app, client, auth, people, seed, clock, jobs):
    """Does the header's count read the inbox index (one statement, no table scan)?"""
    _alert(app, seed, clock, jobs)
    auth.login("supervisor")
    statements = []
    with app.app_context():
        engine = db.engine

        def seen(conn, cursor, statement, params, context, executemany):
            if "alert_delivery" in statement:
                statements.append((statement, params))

        sa.event.listen(engine, "before_cursor_execute", seen)
        try:
            client.get("/")
        finally:
            sa.event.remove(engine, "before_cursor_execute", seen)
        assert len(statements) == 1
        statement, params = statements[0]
        if engine.dialect.name == "sqlite":
            plan = " ".join(
                str(row[-1])
                for row in db.session.connection().exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, params
                )
            )
            assert "ix_alert_delivery_inbox" in plan, plan


def test_choices_are_saved_and_bad_ones_refused(app, client, auth, people, seed):
    """Turn email off for critical findings, set quiet hours and an address: saved; a time
    that is not HH:MM, one time without the other, a bad address: 422 with the reason, and
    nothing saved. In English the page is English."""
    auth.login("supervisor")
    page = client.get("/account/alerts").get_data(as_text=True)
    assert "緊急報事" in page and "勿擾時段" in page
    token = csrf_token_from(page)
    good = {
        "csrf_token": token,
        "c_critical_finding_bell": "y",
        "c_window_missed_bell": "y",
        "c_window_missed_email": "y",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "unsynced_hours": "6",
        "email": "lin@example.test",
    }
    assert client.post("/account/alerts", data=good).status_code == 303
    with app.app_context():
        row = db.session.get(AlertPreference, people["supervisor"])
        assert row.choices["critical_finding"] == ["bell"]
        assert row.choices["window_missed"] == ["bell", "email"]
        assert row.choices["key_overdue"] == []
        quiet = (row.quiet_start, row.quiet_end, row.urgent_through_quiet)
        assert quiet == ("22:00", "07:00", False)
        assert (row.unsynced_hours, row.email) == (6, "lin@example.test")
    for bad, says in (
        ({"quiet_start": "25:00"}, "HH:MM"),
        ({"quiet_end": ""}, "both times"),
        ({"email": "not an address"}, "not an email address"),
        ({"unsynced_hours": "0"}, "1"),
    ):
        client.post("/language", data={"csrf_token": token, "locale": "en", "next": "/"})
        sent = {**good, **bad, "email": bad.get("email", "x@y.z")}
        response = client.post("/account/alerts", data=sent)
        assert response.status_code == 422, bad
        assert says in response.get_data(as_text=True), bad
    with app.app_context():
        assert db.session.get(AlertPreference, people["supervisor"]).email == "lin@example.test"
    english = client.get("/account/alerts").get_data(as_text=True)
    assert "Quiet hours" in english and "勿擾" not in english


def test_the_header_counts_only_what_the_list_shows(app, client, auth, people, seed, clock, jobs):
    """A supervisor moved off the estate of an unread alert: the list no longer shows it, so
    neither does the header's count (it said 1 over an empty list)."""
    _alert(app, seed, clock, jobs)
    with app.app_context():
        supervisor = db.session.get(User, people["supervisor"])
        supervisor.estates = [db.session.get(Estate, seed.estate_ids[1])]
        db.session.commit()
    auth.login("supervisor")
    page = client.get("/alerts").get_data(as_text=True)
    assert "alert-item" not in page
    assert _count(page) is None
    assert _count(client.get("/").get_data(as_text=True)) is None


def test_the_bell_after_a_purge(app, client, auth, people, seed, clock, jobs):
    """Alerts fanned out 400 days ago (unread), 200 days ago (one read, one not) and today;
    after the retention purge: does the header say 2, the list show the unread 200-day-old one
    and today's, opening the old one still go to its finding, and mark-all-read still work?"""
    app.config.update(ALERT_RETENTION_DAYS=180, UNREAD_ALERT_RETENTION_DAYS=365)
    now = clock.now
    clock.set(now - timedelta(days=400))
    _alert(app, seed, clock, jobs)
    clock.set(now - timedelta(days=200))
    read = _alert(app, seed, clock, jobs)
    unread = _alert(app, seed, clock, jobs)
    clock.set(now)
    today = _alert(app, seed, clock, jobs)
    with app.app_context():
        db.session.execute(
            sa.update(AlertDelivery)
            .where(AlertDelivery.event_id == _event_of(read))
            .values(read_at=now - timedelta(days=199))
        )
        db.session.commit()
        done = purge(db.session, now, Periods.from_config(app.config))
        assert done["alert_event"] == 2 and done["alert_delivery"] >= 2
    with app.app_context():
        bell = {
            finding: db.session.scalar(
                sa.select(AlertDelivery.id).where(
                    AlertDelivery.channel == "bell",
                    AlertDelivery.user_id == people["supervisor"],
                    AlertDelivery.event_id == _event_of(finding),
                )
            )
            for finding in (unread, today)
        }
    auth.login("supervisor")
    page = client.get("/alerts").get_data(as_text=True)
    assert _count(page) == "2" and page.count('class="alert-item alert-unread"') == 2
    assert set(re.findall(r'id="alert-(\d+)"', page)) == {str(i) for i in bell.values()}
    assert _count(client.get("/").get_data(as_text=True)) == "2"
    token = csrf_token_from(page)
    opened = client.post("/alerts/open", data={"csrf_token": token, "delivery": bell[unread]})
    assert opened.status_code == 303 and opened.location.endswith(f"/review/findings/{unread}")
    assert _count(client.get("/").get_data(as_text=True)) == "1"
    client.post("/alerts/read", data={"csrf_token": token})
    assert _count(client.get("/alerts").get_data(as_text=True)) is None


def _event_of(finding: str) -> int:
    return db.session.scalar(
        sa.select(events.AlertEvent.id).where(
            events.AlertEvent.detail["finding_id"].as_string() == finding
        )
    )


def _statements(app, client, path: str) -> int:
    found = []
    with app.app_context():
        engine = db.engine

        def seen(conn, cursor, statement, params, context, executemany):
            found.append(statement)

        sa.event.listen(engine, "before_cursor_execute", seen)
        try:
            assert client.get(path).status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", seen)
    return len(found)


def test_the_list_reads_as_much_for_a_full_page_as_for_two(
    app, client, auth, people, seed, clock, jobs
):
    """/alerts with 2 alerts and with a full page of 30: the same statements (the events, their
    estates, findings and units read once for the page — it read each row's, 155 for 30)."""
    for _n in range(2):
        _alert(app, seed, clock, jobs)
    auth.login("supervisor")
    few = _statements(app, client, "/alerts")
    for _n in range(30):
        _alert(app, seed, clock, jobs)
    page = client.get("/alerts").get_data(as_text=True)
    assert page.count('class="alert-item alert-unread"') == 30 and "緊急報事" in page
    assert _statements(app, client, "/alerts") == few


def _bell(app, user_id: int, estate_id: int, state: str = "sent", channel: str = "bell") -> int:
    """A delivery of a new critical finding of the estate to the person, as the fan-out makes
    it (made here: the fan-out would not reach a person outside the estate)."""
    with app.app_context():
        found = db.session.scalar(sa.select(Unit.id).where(Unit.estate_id == estate_id).limit(1))
        detail = {"finding_id": make_finding(estate_id)} if found else {}
        event, _new = events.record(
            db.session, "critical_finding", f"critical_finding:{uuid.uuid4()}",
            occurred_at=utcnow(), estate_id=estate_id, detail=detail,
        )  # fmt: skip
        db.session.flush()
        delivery = AlertDelivery(
            key=f"alert:{event.id}:{user_id}:{channel}", event_id=event.id, user_id=user_id,
            estate_id=estate_id, channel=channel, state=state,
        )  # fmt: skip
        event.dispatched_at = event.occurred_at
        db.session.add(delivery)
        db.session.commit()
        return delivery.id


def _unread(app) -> set[int]:
    with app.app_context():
        return set(
            db.session.scalars(sa.select(AlertDelivery.id).where(AlertDelivery.read_at.is_(None)))
        )


def test_mark_all_read_marks_what_the_list_shows_and_nothing_else(app, client, auth, people, seed):
    """The supervisor (estate 1) holds an alert of estate 1, one of estate 2 (they were moved
    off it), one of a closed estate, one still held on the bell (their threshold) and an email;
    supervisor2 one of estate 2. Does "mark all read" mark the one the list shows, the one the
    count counts, and nothing else — so the estate-2 alert is unread again when they are
    appointed back to it?"""
    one, two = seed.estate_ids[:2]
    me, other = people["supervisor"], people["supervisor2"]
    with app.app_context():
        closed = Estate(name="舊社區", active=False)
        db.session.add(closed)
        db.session.commit()
        closed_id = closed.id
    listed = _bell(app, me, one)
    left = {
        _bell(app, me, two),
        _bell(app, me, closed_id),
        _bell(app, me, one, state="waiting"),
        _bell(app, me, one, channel="email"),
        _bell(app, other, two),
    }
    auth.login("supervisor")
    page = client.get("/alerts").get_data(as_text=True)
    assert _count(page) == "1" and f'id="alert-{listed}"' in page
    client.post("/alerts/read", data={"csrf_token": csrf_token_from(page)})
    assert _unread(app) == left
    with app.app_context():
        supervisor = db.session.get(User, me)
        supervisor.estates = [db.session.get(Estate, e) for e in (one, two)]
        db.session.commit()
    assert _count(client.get("/alerts").get_data(as_text=True)) == "1"


def test_opening_an_alert_not_on_the_list_is_404_and_changes_nothing(
    app, client, auth, people, seed
):
    """The supervisor posts, as the alert to open: another person's, their own of an estate
    they left or of a closed one, one still held, an email, one that does not exist, and no
    number at all. Is each 404 (or 400 for a number past 32 bits), with nothing marked read?"""
    one, two = seed.estate_ids[:2]
    me = people["supervisor"]
    with app.app_context():
        closed = Estate(name="舊社區", active=False)
        db.session.add(closed)
        db.session.commit()
        closed_id = closed.id
    probes = [
        _bell(app, people["supervisor2"], two),
        _bell(app, people["desk"], one),
        _bell(app, me, two),
        _bell(app, me, closed_id),
        _bell(app, me, one, state="waiting"),
        _bell(app, me, one, channel="email"),
    ]
    before = _unread(app)
    auth.login("supervisor")
    token = auth.csrf("/alerts")
    for delivery in [*probes, max(probes) + 1000, 0, -1, "", "x"]:
        response = client.post("/alerts/open", data={"csrf_token": token, "delivery": delivery})
        assert response.status_code == 404, delivery
    response = client.post("/alerts/open", data={"csrf_token": token, "delivery": 2**40})
    assert response.status_code == 400
    assert _unread(app) == before


def test_pages_answer_while_another_connection_writes(app, client, auth, people, seed, clock, jobs):
    """Another connection holds a write transaction open (a push being applied): do the bell's
    list and the supervisor's home still answer — their reads take no write lock (on SQLite
    every transaction began BEGIN IMMEDIATE, so a page waited out the push, or its 30 s) —
    while marking the alerts read, a write, still begins by taking it?"""
    _alert(app, seed, clock, jobs)
    auth.login("supervisor")
    token = auth.csrf("/alerts")
    with app.app_context():
        engine = db.engine
    begun: list[str] = []

    def seen(conn, cursor, statement, params, context, executemany):
        if statement.upper().startswith("BEGIN"):
            begun.append(statement.upper())

    with engine.connect() as other, other.begin():
        other.execute(sa.update(Estate).where(Estate.id == seed.estate_ids[0]).values(active=True))
        sa.event.listen(engine, "before_cursor_execute", seen)
        try:
            for path in ("/alerts", "/"):
                assert client.get(path).status_code == 200, path
        finally:
            sa.event.remove(engine, "before_cursor_execute", seen)
    if engine.dialect.name == "sqlite":
        assert begun and set(begun) == {"BEGIN"}, begun
    begun.clear()
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        client.post("/alerts/read", data={"csrf_token": token})
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    if engine.dialect.name == "sqlite":
        assert begun and set(begun) == {"BEGIN IMMEDIATE"}, begun
    assert _count(client.get("/alerts").get_data(as_text=True)) is None
