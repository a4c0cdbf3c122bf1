"""Each visible estate at a glance: units by status, active signs, keys by status.

The home screens of every role show it (the review area's among them), so it lives with the
registry it counts rather than in one of those areas.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_login import current_user

from webapp import vocab
from webapp.extensions import db
from webapp.models import Key, Sign, Unit
from webapp.scoping import visible_estate_ids


def estate_summaries() -> list[dict]:
    """Counts per visible estate: units by status, active signs, keys by status."""
    ids = visible_estate_ids()
    unit_rows = db.session.execute(
        sa.select(Unit.estate_id, Unit.status, sa.func.count())
        .where(Unit.estate_id.in_(ids), Unit.active)
        .group_by(Unit.estate_id, Unit.status)
    )
    units = {i: {"occupied": 0, "vacant": 0, "renovating": 0} for i in ids}
    for estate_id, status, n in unit_rows:
        units[estate_id][status] = n
    signs = dict(
        db.session.execute(
            sa.select(Sign.estate_id, sa.func.count())
            .where(Sign.estate_id.in_(ids), Sign.active)
            .group_by(Sign.estate_id)
        ).all()
    )
    keys = {i: dict.fromkeys(vocab.KEY_STATUSES, 0) for i in ids}
    for estate_id, status, n in db.session.execute(
        sa.select(Key.estate_id, Key.status, sa.func.count())
        .where(Key.estate_id.in_(ids), Key.active)
        .group_by(Key.estate_id, Key.status)
    ):
        keys[estate_id][status] = n
    # The person's own estates, as their scope read them (no second read of the same rows).
    estates = current_user.visible_estates if ids else []
    return [
        {
            "estate": e,
            "units": units[e.id],
            "unit_total": sum(units[e.id].values()),
            "signs": signs.get(e.id, 0),
            "key_counts": keys[e.id],
            "key_total": sum(keys[e.id].values()),
        }
        for e in estates
    ]
