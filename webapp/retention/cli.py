"""``flask --app webapp retention purge [--dry-run]``: the daily retention purge, now.

The job worker runs it every day (``retention.purge``, webapp/retention/jobs.py); this command
is for running it by hand, or for seeing first what it would delete."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from webapp.extensions import db
from webapp.models.types import utcnow
from webapp.retention.purge import Periods, count, purge


def _lines(config) -> list[tuple[str, str, str]]:
    """(table, what it is, which rows go) in the purge's order."""
    alerts, unread = config["ALERT_RETENTION_DAYS"], config["UNREAD_ALERT_RETENTION_DAYS"]
    sessions = config["SESSION_RETENTION_DAYS"]
    return [
        ("alert_delivery", "alert deliveries",
         f"made more than {alerts} days ago; unread on the bell, {unread} days"),
        ("alert_event", "alert events",
         f"fanned out more than {alerts} days ago, no delivery left"),
        ("alert_digest", "digests",
         f"made more than {config['DIGEST_RETENTION_DAYS']} days ago"),
        ("push_subscription", "push subscriptions",
         f"of sessions ended more than {sessions} days ago"),
        ("user_session", "sessions", f"ended or expired more than {sessions} days ago"),
    ]  # fmt: skip


@click.group("retention")
def retention() -> None:
    """Operational rows kept for a while: alerts, digests, sessions."""


@retention.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@with_appcontext
def purge_now(dry_run: bool) -> None:
    """Delete now what is past its retention period (what the daily job does)."""
    config = current_app.config
    periods, now = Periods.from_config(config), utcnow()
    if dry_run:
        found = count(db.session, now, periods)
        db.session.rollback()
        click.echo("Dry run, nothing deleted. Past their retention period now:")
    else:
        found = purge(db.session, now, periods)
        click.echo("Deleted:")
    for name, label, which in _lines(config):
        click.echo(f"  {label}: {found[name]} ({which})")
