"""The nightly check of the key events' hash chains: a broken link becomes an alert event."""

from __future__ import annotations

import sqlalchemy as sa
from huey import crontab

from webapp import alert_events as events
from webapp.jobs.engine import periodic
from webapp.keys.chain import breaks
from webapp.models import Key


@periodic(
    "keys.verify_chain",
    crontab(minute="0", hour="3"),
    title="Check the key records' hash chains",
    retries=2,
    retry_delay=300,
)
def verify_chain(ctx) -> dict:
    """Verify every key's chain (03:00 estate time); record each broken one as an alert event,
    once per break (the same break found the next night alerts nobody again)."""
    found = list(breaks(ctx.session))
    estates = dict(
        ctx.session.execute(
            sa.select(Key.id, Key.estate_id).where(Key.id.in_({b.key_id for b in found}))
        ).all()
    )
    new = 0
    for broken in found:
        _event, created = events.record(
            ctx.session,
            "key_chain_broken",
            f"key_chain_broken:{broken.key_id}:{broken.event_id or 'head'}",
            occurred_at=ctx.now(),
            estate_id=estates.get(broken.key_id),
            detail={
                "key_id": broken.key_id,
                "event_id": broken.event_id,
                "seq": broken.seq,
                "reason": broken.reason,
                "text": broken.describe(),
            },
        )
        new += created
    return {"broken": len(found), "new_alerts": new}
