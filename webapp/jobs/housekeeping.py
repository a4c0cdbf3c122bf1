"""The engine's own periodic work: forget finished jobs, and the sync feed's old tombstones."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from huey import crontab

from sync import feed
from webapp.jobs.engine import KINDS, LOOKBACK, Kind, periodic
from webapp.models.jobs import Job


@periodic("jobs.purge", crontab(minute="30", hour="4"), title="Forget finished jobs")
def purge_jobs(ctx) -> dict:
    """Delete finished jobs older than their kind keeps them, with their output files.

    A job with a key (a schedule's slot, an event) is kept at least twice the tick's look-back:
    while its row is there, its slot or event is never run a second time."""
    now = ctx.now()
    gone = 0
    for name in ctx.session.scalars(sa.select(Job.kind).distinct()).all():
        keep = KINDS[name].keep if name in KINDS else Kind.keep
        ids = ctx.session.scalars(
            sa.select(Job.id).where(
                Job.kind == name,
                Job.state.in_(("done", "failed")),
                Job.finished_at < now - keep,
                sa.or_(Job.key.is_(None), Job.finished_at < now - max(keep, 2 * LOOKBACK)),
            )
        ).all()
        for job_id in ids:
            ctx.engine.blobs.delete_prefix(f"jobs/{job_id}")
        if ids:
            ctx.session.execute(sa.delete(Job).where(Job.id.in_(ids)))
            gone += len(ids)
    return {"purged": gone}


@periodic(
    "sync.purge_tombstones",
    crontab(minute="0", hour="4", day_of_week="0"),
    title="Forget old deletions in the sync feed",
)
def purge_tombstones(ctx) -> dict:
    """Forget the feed's deletions older than the retention (Sundays, 04:00 estate time);
    cursors from before them expire and those phones take a fresh snapshot."""
    days = ctx.config["TOMBSTONE_RETENTION_DAYS"]  # webapp/config.py: 90 unless set
    gone = feed.purge_tombstones(ctx.session, ctx.now() - timedelta(days=days))
    return {"purged": gone, "older_than_days": days}
