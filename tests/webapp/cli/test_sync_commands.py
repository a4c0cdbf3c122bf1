"""``flask sync purge-tombstones``: old deletions go, recent ones stay, bad input is refused."""

from datetime import timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Unit
from webapp.models.sync import SyncChange


def _deactivate_two_units(app, seed, *, ages_days):
    with app.app_context():
        units = db.session.scalars(
            sa.select(Unit).where(Unit.estate_id == seed.estate_ids[0]).order_by(Unit.id).limit(2)
        ).all()
        ids = [u.id for u in units]
        for unit in units:  # one commit each: the older deletion has the lower sequence number
            unit.active = False
            db.session.commit()
        for unit_id, age in zip(ids, ages_days, strict=True):
            row = db.session.scalar(
                sa.select(SyncChange).where(
                    SyncChange.deleted, SyncChange.type == "unit", SyncChange.obj_id == str(unit_id)
                )
            )
            row.changed_at = row.changed_at - timedelta(days=age)
        db.session.commit()
        return ids


def _tombstones(app):
    with app.app_context():
        return set(
            db.session.scalars(
                sa.select(SyncChange.obj_id).where(SyncChange.deleted, SyncChange.type == "unit")
            )
        )


def test_purge_forgets_only_deletions_older_than_asked(app, seed):
    """Does the purge drop a 120-day-old deletion and keep a fresh one?"""
    old, fresh = _deactivate_two_units(app, seed, ages_days=(120, 0))
    assert {str(old), str(fresh)} <= _tombstones(app)
    result = app.test_cli_runner().invoke(args=["sync", "purge-tombstones"])
    assert result.exit_code == 0, result.output
    assert "Purged 1 deletion" in result.output
    left = _tombstones(app)
    assert str(old) not in left and str(fresh) in left


def test_purge_by_hand_keeps_the_configured_retention(app, seed):
    """Without --older-than-days, does the command keep TOMBSTONE_RETENTION_DAYS, as the
    weekly job does (a 60-day-old deletion goes at 30 days; it would stay at 90)?"""
    app.config["TOMBSTONE_RETENTION_DAYS"] = 30
    old, fresh = _deactivate_two_units(app, seed, ages_days=(60, 0))
    result = app.test_cli_runner().invoke(args=["sync", "purge-tombstones"])
    assert result.exit_code == 0, result.output
    assert "older than 30 days" in result.output
    left = _tombstones(app)
    assert str(old) not in left and str(fresh) in left


def test_purge_refuses_a_window_shorter_than_a_week(app, seed):
    """Is a window under 7 days refused with a message, deleting nothing?"""
    old, _ = _deactivate_two_units(app, seed, ages_days=(3, 0))
    result = app.test_cli_runner().invoke(
        args=["sync", "purge-tombstones", "--older-than-days", "2"]
    )
    assert result.exit_code == 2
    assert "older-than-days" in result.output
    assert str(old) in _tombstones(app)
