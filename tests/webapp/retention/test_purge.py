"""The retention purge: operational rows older than their period go, younger ones stay, and
nothing recorded (checks, findings, key events, sync ops, notices, photos, the audit) is ever
touched, however old; in batches of a bounded size, children before their parents."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.webapp.retention.conftest import (
    browser_session,
    counts,
    delivery,
    digest,
    event,
    ids,
    subscription,
)
from webapp import retention
from webapp.extensions import db
from webapp.models import UserSession
from webapp.models.alerts import AlertDelivery
from webapp.models.digests import AlertDigest
from webapp.models.jobs import AlertEvent
from webapp.models.push import PushSubscription
from webapp.models.types import utcnow
from webapp.retention.purge import Periods, count, purge

DAY = timedelta(days=1)


def _periods(app) -> Periods:
    return Periods.from_config(app.config)


def test_every_table_is_either_kept_or_purged_and_said_so(app):
    """Does every table of the schema sit in exactly one list — kept for ever, purged here,
    or purged by a job of its own — so that a new table cannot be purged (or grow) unseen?"""
    names = set(db.metadata.tables)
    kept, purged, elsewhere = (
        set(retention.KEPT),
        set(retention.PURGED),
        set(retention.PURGED_ELSEWHERE),
    )
    assert not (kept & purged) and not (kept & elsewhere) and not (purged & elsewhere)
    assert kept | purged | elsewhere == names, (names - kept - purged - elsewhere) or (
        (kept | purged | elsewhere) - names
    )
    for evidence in (
        "check_record", "finding", "finding_event", "key_event", "sync_op", "sync_quarantine",
        "rectification_notice", "notice_action", "photo_blob", "photo_link", "audit_event",
        "desk_item_event", "device",
    ):  # fmt: skip
        assert evidence in kept, evidence


def test_old_alerts_go_young_ones_and_unread_ones_stay(app, seed):
    """Read or sent alerts older than ALERT_RETENTION_DAYS go; an unread bell alert stays until
    UNREAD_ALERT_RETENTION_DAYS; an event goes only once its last delivery has, and never when
    it is still to be fanned out or is a broken key chain (the nightly check would alert again)."""
    app.config.update(ALERT_RETENTION_DAYS=180, UNREAD_ALERT_RETENTION_DAYS=365)
    now = utcnow()
    estate = seed.estate_ids[0]
    boss, desk = seed.user_ids["supervisor"], seed.user_ids["desk"]
    with app.app_context():
        old = event(at=now - 200 * DAY, estate_id=estate, name="old")
        gone = {
            delivery(old, boss, at=now - 200 * DAY, estate_id=estate, read=True),
            delivery(old, boss, at=now - 200 * DAY, estate_id=estate, channel="email"),
            # Skipped on the bell (turned off): never listed, so never unread.
            delivery(old, desk, at=now - 200 * DAY, estate_id=estate, state="skipped"),
        }
        unread = event(at=now - 200 * DAY, estate_id=estate, name="unread")
        kept = {delivery(unread, boss, at=now - 200 * DAY, estate_id=estate)}
        ancient = event(at=now - 400 * DAY, estate_id=estate, name="ancient")
        gone.add(delivery(ancient, boss, at=now - 400 * DAY, estate_id=estate))
        held = event(at=now - 200 * DAY, estate_id=estate, name="held")
        kept.add(
            delivery(
                held, desk, at=now - 200 * DAY, estate_id=estate, channel="email",
                state="waiting", send_after=now - 170 * DAY,
            )
        )  # fmt: skip
        young = event(at=now - 100 * DAY, estate_id=estate, name="young")
        kept.add(delivery(young, boss, at=now - 100 * DAY, estate_id=estate, read=True))
        event(at=now - 400 * DAY, estate_id=estate, kind="key_chain_broken", name="chain")
        event(at=now - 400 * DAY, estate_id=estate, dispatched=False, name="undispatched")
        event(at=now - 200 * DAY, estate_id=estate, name="nobody")
        event(at=now - DAY, estate_id=estate, name="newest")
        db.session.commit()
        before = ids(AlertDelivery)

        done = purge(db.session, now, _periods(app))

        left = ids(AlertDelivery)
        assert left == before - gone and kept <= left
        keys = set(db.session.scalars(sa.select(AlertEvent.key)))
        assert {"old", "ancient", "nobody"}.isdisjoint(keys)
        assert {"unread", "held", "young", "chain", "undispatched", "newest"} <= keys
        assert done["alert_delivery"] == len(gone) and done["alert_event"] == 3


def test_an_unread_alert_waits_for_its_own_period(app, seed):
    """With both periods at 30 days, does a 40-day-old unread alert go; at 30 and 60, stay?"""
    now = utcnow()
    estate, boss = seed.estate_ids[0], seed.user_ids["supervisor"]
    with app.app_context():
        first = event(at=now - 40 * DAY, estate_id=estate)
        delivery(first, boss, at=now - 40 * DAY, estate_id=estate)
        event(at=now, estate_id=estate)
        db.session.commit()
        app.config.update(ALERT_RETENTION_DAYS=30, UNREAD_ALERT_RETENTION_DAYS=60)
        assert purge(db.session, now, _periods(app))["alert_delivery"] == 0
        app.config.update(UNREAD_ALERT_RETENTION_DAYS=30)
        assert purge(db.session, now, _periods(app))["alert_delivery"] == 1
        assert first not in ids(AlertEvent)


def test_digests_ended_sessions_and_silent_subscriptions_go(app, seed):
    """A digest older than DIGEST_RETENTION_DAYS goes, a younger one stays; a session ended or
    expired more than SESSION_RETENTION_DAYS ago goes with its push subscriptions (children
    first), an open one and a recent one stay; a subscription of no session goes once as old."""
    app.config.update(DIGEST_RETENTION_DAYS=365, SESSION_RETENTION_DAYS=30)
    now = utcnow()
    estate, boss = seed.estate_ids[0], seed.user_ids["supervisor"]
    with app.app_context():
        old_digest = digest(boss, at=now - 400 * DAY, estate_id=estate)
        young_digest = digest(boss, at=now - 100 * DAY, estate_id=estate)
        ended = browser_session(
            boss, created=now - 41 * DAY, expires=now - 29 * DAY, ended=now - 40 * DAY
        )
        expired = browser_session(boss, created=now - 41 * DAY, expires=now - 40 * DAY)
        recent = browser_session(
            boss, created=now - 11 * DAY, expires=now + DAY, ended=now - 10 * DAY
        )
        live = browser_session(boss, created=now - DAY, expires=now + DAY)
        silenced = {
            subscription(boss, ended, at=now - 41 * DAY),
            subscription(boss, expired, at=now - 41 * DAY),
            subscription(boss, None, at=now - 40 * DAY),
        }
        heard = {
            subscription(boss, live, at=now - 50 * DAY),
            subscription(boss, recent, at=now - 50 * DAY),
            subscription(boss, None, at=now - 10 * DAY),
        }
        db.session.commit()

        done = purge(db.session, now, _periods(app))

        assert ids(AlertDigest) == {young_digest} and old_digest not in ids(AlertDigest)
        assert ids(UserSession) == {recent, live}
        assert ids(PushSubscription) == heard
        assert done["alert_digest"] == 1 and done["user_session"] == 2
        assert done["push_subscription"] == len(silenced)


def test_nothing_recorded_is_touched_however_old(app, seed):
    """Ten years on, does the purge leave every row of every kept table (the demo's checks,
    findings, key events, sync ops, notices, photos, audit...) and of the tables other jobs
    purge exactly as they were?"""
    with app.app_context():
        left_alone = [
            table
            for name, table in db.metadata.tables.items()
            if name in retention.KEPT or name in retention.PURGED_ELSEWHERE
        ]
        before = counts(left_alone)
        assert before["check_record"] and before["key_event"] and before["sync_op"]
        assert before["finding"] and before["audit_event"]
        purge(db.session, utcnow() + 3650 * DAY, _periods(app))
        assert counts(left_alone) == before


def test_more_rows_than_a_batch_go_a_batch_at_a_time(app, seed):
    """With batches of 5: do 23 old deliveries and 12 old events all go, each delete touching
    at most 5 rows, committed batch by batch, and the young rows stay?"""
    now = utcnow()
    estate, boss = seed.estate_ids[0], seed.user_ids["supervisor"]
    with app.app_context():
        events = [event(at=now - (300 - i) * DAY, estate_id=estate) for i in range(12)]
        old = {
            delivery(events[i % 3], boss, at=now - (300 - i) * DAY, estate_id=estate, read=True)
            for i in range(23)
        }
        young_event = event(at=now - DAY, estate_id=estate)
        young = delivery(young_event, boss, at=now - DAY, estate_id=estate)
        db.session.commit()

        deleted: list[tuple[str, int]] = []

        def seen(conn, cursor, statement, params, context, executemany):
            if statement.lstrip().upper().startswith("DELETE FROM"):
                deleted.append((statement.split()[2].strip('"'), cursor.rowcount))

        commits = []

        def commit():
            commits.append(1)
            db.session.commit()

        sa.event.listen(db.engine, "after_cursor_execute", seen)
        try:
            done = purge(db.session, now, _periods(app), batch=5, commit=commit)
        finally:
            sa.event.remove(db.engine, "after_cursor_execute", seen)

        assert ids(AlertDelivery) == {young} and not old & ids(AlertDelivery)
        assert ids(AlertEvent) & {*events, young_event} == {young_event}
        assert done["alert_delivery"] == 23 and done["alert_event"] == 12
        assert all(0 < n <= 5 for _table, n in deleted), deleted
        assert sum(n for t, n in deleted if t == "alert_delivery") == 23
        assert len(commits) >= 5 + 3  # ceil(23 / 5) + ceil(12 / 5)


def test_the_dry_run_counts_what_the_purge_then_deletes(app, seed):
    """Does the dry run count per table exactly what the purge then deletes, deleting nothing
    itself — an event counted although its old deliveries are still there?"""
    app.config.update(ALERT_RETENTION_DAYS=180, SESSION_RETENTION_DAYS=30)
    now = utcnow()
    estate, boss = seed.estate_ids[0], seed.user_ids["supervisor"]
    with app.app_context():
        old = event(at=now - 200 * DAY, estate_id=estate)
        delivery(old, boss, at=now - 200 * DAY, estate_id=estate, read=True)
        delivery(old, boss, at=now - 200 * DAY, estate_id=estate, channel="email")
        unread = event(at=now - 200 * DAY, estate_id=estate)
        delivery(unread, boss, at=now - 200 * DAY, estate_id=estate)
        event(at=now, estate_id=estate)
        digest(boss, at=now - 400 * DAY, estate_id=estate)
        digest(boss, at=now, estate_id=estate)
        ended = browser_session(boss, created=now - 41 * DAY, expires=now - 40 * DAY)
        subscription(boss, ended, at=now - 41 * DAY)
        db.session.commit()
        tables = [db.metadata.tables[name] for name in retention.PURGED]
        before = counts(tables)

        counted = count(db.session, now, _periods(app))

        assert counts(tables) == before
        assert counted == {
            "alert_delivery": 2,
            "alert_event": 1,
            "alert_digest": 1,
            "push_subscription": 1,
            "user_session": 1,
        }
        assert purge(db.session, now, _periods(app)) == counted


def test_a_row_changed_between_its_batch_read_and_its_delete_is_judged_as_it_stands(app, seed):
    """An old event with no delivery left is read into a batch, and a delivery of it is made
    before the batch's delete: does the delete judge it again — the event stays, its delivery
    still points at it — rather than delete what it read?"""
    now = utcnow()
    estate, boss = seed.estate_ids[0], seed.user_ids["supervisor"]
    with app.app_context():
        old = event(at=now - 200 * DAY, estate_id=estate)
        event(at=now, estate_id=estate)
        db.session.commit()
        made = []

        def meanwhile(conn, cursor, statement, params, context, executemany):
            if not made and statement.lstrip().upper().startswith("DELETE FROM ALERT_EVENT"):
                made.append(1)
                conn.execute(
                    sa.insert(AlertDelivery).values(
                        key=f"alert:{old}:{boss}:bell", event_id=old, user_id=boss,
                        estate_id=estate, channel="bell", state="sent", created_at=now,
                        send_after=now, sent_at=now, message="",
                    )
                )  # fmt: skip

        sa.event.listen(db.engine, "before_cursor_execute", meanwhile)
        try:
            done = purge(db.session, now, _periods(app))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", meanwhile)
        assert made, "the purge read no old event to delete"
        assert old in ids(AlertEvent) and done["alert_event"] == 0
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(AlertDelivery.event_id == old)) == 1
        )


def test_the_newest_event_and_digest_stay_so_their_ids_are_never_handed_out_again(app, seed):
    """When every event and digest is old, does the newest of each stay — SQLite gives a new
    row max(id) + 1, and an event's id is in its emails' Message-ID, a digest's in its link —
    so the next one made gets an id never used before?"""
    now = utcnow()
    estate, boss = seed.estate_ids[0], seed.user_ids["supervisor"]
    with app.app_context():
        db.session.execute(sa.delete(AlertEvent))  # the demo's own
        made = [event(at=now - (400 - i) * DAY, estate_id=estate) for i in range(3)]
        digests = [digest(boss, at=now - (400 - i) * DAY, estate_id=estate) for i in range(3)]
        db.session.commit()
        purge(db.session, now, _periods(app))
        assert ids(AlertEvent) == {made[-1]} and ids(AlertDigest) == {digests[-1]}
        assert event(at=now, estate_id=estate) > made[-1]
        assert digest(boss, at=now, estate_id=estate) > digests[-1]
        db.session.rollback()


def test_a_batch_of_old_deliveries_is_read_from_an_index(app, seed):
    """Does each batch read the old deliveries as one range of ix_alert_delivery_created (the
    bell's indexes begin with the person: without it, every batch scanned and sorted the
    whole table)?"""
    now = utcnow()
    estate, boss = seed.estate_ids[0], seed.user_ids["supervisor"]
    with app.app_context():
        old = event(at=now - 300 * DAY, estate_id=estate)
        for _n in range(3):
            delivery(old, boss, at=now - 300 * DAY, estate_id=estate, read=True)
        event(at=now, estate_id=estate)
        db.session.commit()
        reads = []

        def seen(conn, cursor, statement, params, context, executemany):
            if statement.lstrip().startswith("SELECT alert_delivery.created_at"):
                reads.append((statement, params))

        sa.event.listen(db.engine, "before_cursor_execute", seen)
        try:
            purge(db.session, now, _periods(app), batch=2)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", seen)
        assert len(reads) == 2  # a full batch, then the last one
        if db.engine.dialect.name == "sqlite":
            for statement, params in reads:
                plan = " ".join(
                    str(row[-1])
                    for row in db.session.connection().exec_driver_sql(
                        "EXPLAIN QUERY PLAN " + statement, params
                    )
                )
                assert "ix_alert_delivery_created" in plan and "TEMP B-TREE" not in plan, plan
