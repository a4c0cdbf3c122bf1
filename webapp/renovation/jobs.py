"""The renovation register's schedule: every hour, each estate's units in step with their
permits (a permit that begins today, on the estate's calendar, needs no write to start)."""

from __future__ import annotations

from huey import crontab

from webapp.jobs.engine import periodic
from webapp.renovation import status


@periodic("renovation.status", crontab(minute="5"), title="Units under renovation from permits")
def refresh_statuses(ctx) -> dict:
    """Set every estate's units 裝修中 or back by their permits, as of now."""
    return {"changed": status.refresh_all(ctx.session, ctx.now())}
