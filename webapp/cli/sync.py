"""``flask --app webapp sync purge-tombstones``: forget old deletions in the change feed.

Run it from cron (say weekly). A phone whose cursor is older than the newest purged deletion
gets ``cursor_expired`` on its next pull and takes a fresh snapshot; its outbox is untouched.
"""

from __future__ import annotations

from datetime import timedelta

import click
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
    default=90,
    show_default=True,
    help="Forget deletions older than this many days (at least 7: a phone may be offline a week).",
)
@with_appcontext
def purge_tombstones(older_than_days: int) -> None:
    """Forget deletions older than N days; cursors from before them then expire."""
    gone = feed.purge_tombstones(db.session, utcnow() - timedelta(days=older_than_days))
    db.session.commit()
    click.echo(f"Purged {gone} deletion(s) older than {older_than_days} days.")
