"""``flask --app webapp sync purge-tombstones``: forget old deletions in the change feed.

The job worker runs it every week (``sync.purge_tombstones``, webapp/jobs/housekeeping.py); this
command is for running it by hand. A phone whose cursor is older than the newest purged deletion
gets ``cursor_expired`` on its next pull and takes a fresh snapshot; its outbox is untouched.
"""

from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from sync import feed
from webapp.extensions import db
from webapp.models.types import utcnow


@click.group("sync")
def sync() -> None:
    """The sync change feed."""


@sync.command("purge-tombstones")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=7),
    help="Forget deletions older than this many days (at least 7: a phone may be offline a "
    "week); by default TOMBSTONE_RETENTION_DAYS, as the weekly job does.",
)
@with_appcontext
def purge_tombstones(older_than_days: int | None) -> None:
    """Forget deletions older than N days; cursors from before them then expire."""
    if older_than_days is None:
        older_than_days = current_app.config["TOMBSTONE_RETENTION_DAYS"]
    gone = feed.purge_tombstones(db.session, utcnow() - timedelta(days=older_than_days))
    db.session.commit()
    click.echo(f"Purged {gone} deletion(s) older than {older_than_days} days.")
