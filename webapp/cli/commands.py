"""The flask commands: demo-data and create-user, and every area's commands
registered in one place."""

from __future__ import annotations

import time

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from webapp.backup.cli import backup_command, restore_command
from webapp.cli.blobs import blobs_group
from webapp.cli.sync import sync
from webapp.cliargs import resolve_estate
from webapp.demo import DemoOptions, build_demo, database_has_data, demo_users, wipe
from webapp.extensions import db
from webapp.jobs.cli import jobs
from webapp.keys.cli import keys
from webapp.labels.cli import labels
from webapp.models import ROLES, User
from webapp.models.accounts import (
    ALL_ESTATE_ROLES,
    MAX_USERNAME,
    MIN_PASSWORD,
    MIN_USERNAME,
    USERNAME_CHARS,
)
from webapp.retention.cli import retention
from webapp.review.demo import advance_findings
from webapp.text import trim


class ProgressPrinter:
    """Prints how far a long build is, on stderr: a line when a stage starts, at every tenth
    of it, and when it ends, each with the seconds since the start."""

    def __init__(self, echo=None):
        self.echo = echo or (lambda line: click.echo(line, err=True))
        self.started = time.monotonic()
        self.stage: str | None = None
        self.tenth = -1

    def __call__(self, stage: str, done: int, total: int) -> None:
        tenth = 10 * done // total if total > 0 else 10
        if stage == self.stage and tenth == self.tenth:
            return
        self.stage, self.tenth = stage, tenth
        percent = 100 * done // total if total > 0 else 100
        elapsed = time.monotonic() - self.started
        self.echo(f"  [{elapsed:6.1f} s] {stage}: {done:,} / {total:,} ({percent}%)")


@click.command("demo-data")
@click.option("--estates", type=click.IntRange(1, 6), default=2, show_default=True)
@click.option("--units-per-estate", type=click.IntRange(1, 20000), default=200, show_default=True)
@click.option("--days", type=click.IntRange(0, 3650), default=30, show_default=True)
@click.option("--reset", is_flag=True, help="Delete everything first.")
@click.option("--if-empty", is_flag=True, help="Do nothing (and succeed) if data exists.")
@with_appcontext
def demo_data(estates, units_per_estate, days, reset, if_empty):
    """Fill the database with a believable demo."""
    if current_app.config["ROUNDS_ENV"] == "production":
        # Demo users have published passwords: never in a production database.
        raise click.ClickException("demo-data does not run under ROUNDS_ENV=production")
    if database_has_data(db.session):
        if if_empty:
            click.echo("Database already holds data; demo not loaded.")
            return
        if not reset:
            raise click.ClickException(
                "the database already holds data; pass --reset to delete it and load the demo"
            )
        wipe(db.session)
    progress = ProgressPrinter()
    options = DemoOptions(
        estates=estates, units_per_estate=units_per_estate, days=days, progress=progress
    )
    result = build_demo(db.session, options)
    # Supervisors and engineering have worked the older findings along the workflow, so the
    # review desk looks lived in. (Kept out of build_demo: tests start from open findings.)
    progress("findings workflow", 0, 1)
    result.counts["findings moved"] = advance_findings(db.session)
    progress("findings workflow", 1, 1)
    progress("saving", 0, 1)
    db.session.commit()
    progress("saving", 1, 1)
    counts = ", ".join(f"{n} {name}" for name, n in result.counts.items())
    click.echo(f"Demo loaded: {counts}.")
    click.echo("Demo logins (username / password):")
    for username, password, role, _display, where in demo_users(estates):
        reach = {"every": "  every estate", "each": "  every demo estate"}.get(str(where), "")
        click.echo(f"  {username:<11} {password:<16} {role}{reach}")


@click.command("create-user")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--estate", "estates", multiple=True, help="Estate id or name; repeatable.")
@click.option(
    "--all-estates",
    is_flag=True,
    help="Every estate, present and future (an admin or supervisor: the organisation admin, "
    "a head-office supervisor).",
)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for twice when not given.",
)
@with_appcontext
def create_user(name, role, estates, all_estates, password):
    """Create a user with a role and estates (or every estate)."""
    # The users page's rule: the command makes no user the page could not have made.
    name = trim(name)
    if not MIN_USERNAME <= len(name) <= MAX_USERNAME or not USERNAME_CHARS.match(name):
        raise click.BadParameter(
            f"a username is {MIN_USERNAME} to {MAX_USERNAME} letters, digits, dots, dashes or "
            "underscores (A-Z, a-z, 0-9, . - _): no spaces, no other characters",
            param_hint="NAME",
        )
    if db.session.scalar(sa.select(User.id).where(User.username == name)) is not None:
        raise click.ClickException(f"user {name!r} already exists")
    if len(password) < MIN_PASSWORD:
        raise click.BadParameter(
            f"a password has at least {MIN_PASSWORD} characters", param_hint="password"
        )
    if all_estates and role not in ALL_ESTATE_ROLES:
        raise click.BadParameter(
            "--all-estates is for an admin or a supervisor", param_hint="--all-estates"
        )
    if all_estates and estates:
        raise click.BadParameter(
            "give --all-estates or --estate, not both", param_hint="--all-estates"
        )
    chosen = [resolve_estate(ref) for ref in estates]
    if not chosen and not all_estates and role != "admin":
        raise click.BadParameter("give at least one --estate for this role", param_hint="--estate")
    user = User(username=name, role=role, all_estates=all_estates)
    user.set_password(password)
    user.estates = chosen
    db.session.add(user)
    db.session.commit()
    where = (
        "every estate, present and future"
        if all_estates
        else ", ".join(e.name for e in chosen) or "no estate yet"
    )
    click.echo(f"Created {role} {name!r} ({where}).")


def init_app(app: Flask) -> None:
    """Register the commands, the app's own and each area's."""
    app.cli.add_command(demo_data)
    app.cli.add_command(create_user)
    app.cli.add_command(labels)
    app.cli.add_command(keys)
    app.cli.add_command(jobs)
    app.cli.add_command(sync)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(blobs_group)
    app.cli.add_command(retention)
