"""The daily retention purge: old alerts, digests and ended sessions deleted (04:45 estate time,
after the jobs' own purge at 04:30)."""

from __future__ import annotations

from huey import crontab

from webapp.jobs.engine import periodic
from webapp.retention.purge import Periods, purge


@periodic(
    "retention.purge",
    crontab(minute="45", hour="4"),
    title="Delete old alerts, digests and ended sessions",
    retries=2,
    retry_delay=300,
)
def purge_old(ctx) -> dict:
    """Delete the operational rows past their retention period, a committed batch at a time
    (a purge cut short is run again: it deletes what is still there); rows deleted per table."""
    return purge(ctx.session, ctx.now(), Periods.from_config(ctx.config), commit=ctx.session.commit)
