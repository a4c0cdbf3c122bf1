"""The demo's rounds history: real ops through the merge, with every status represented."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Estate, utcnow
from webapp.models.sync import Check, SyncOp
from webapp.rounds import service


def test_demo_history_has_late_missed_and_no_access(app, seed):
    """Does the demo's last week of rounds include done, late, missed and no-access checkpoints,
    made by check.record ops that went through the sync merge without clock flags?"""
    with app.app_context():
        rows = []
        for estate_id in seed.estate_ids:
            estate = db.session.get(Estate, estate_id)
            today = utcnow().astimezone(ZoneInfo(estate.timezone)).date()
            rows += service.trend(db.session, estate, today - timedelta(days=1), 7, utcnow())
        totals = {k: sum(r[k] for r in rows) for k in ("done", "late", "missed", "no_access")}
        assert all(totals[k] > 0 for k in totals), totals
        in_rounds = db.session.scalar(
            sa.select(sa.func.count()).select_from(Check).where(Check.round_id.is_not(None))
        )
        ops = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SyncOp)
            .join(Check, Check.op_id == SyncOp.op_id)
            .where(Check.round_id.is_not(None), ~SyncOp.clock_skewed)
        )
        assert in_rounds > 0 and ops == in_rounds
