"""The rounds' job: every window's checkpoints fixed as it opens (windows.open_windows)."""

from __future__ import annotations

from huey import crontab

from webapp.jobs.engine import periodic
from webapp.rounds.windows import open_windows


@periodic(
    "rounds.open_windows",
    crontab(minute="*/5"),
    title="Fix the checkpoints of the round windows that have opened",
    retries=2,
    retry_delay=60,
)
def open_begun(ctx) -> dict:
    """Every five minutes: the windows open now that nobody has read get their checkpoints
    (a dashboard, a phone's pull or the grid fix them as well, whichever comes first)."""
    return {"opened": open_windows(ctx.session, ctx.now())}
