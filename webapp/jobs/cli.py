"""``flask jobs``: run the worker, list recent jobs, run a job now."""

from __future__ import annotations

from urllib.parse import urlsplit

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from webapp import vocab
from webapp.extensions import db
from webapp.jobs import engine
from webapp.models.jobs import Job


@click.group("jobs")
def jobs() -> None:
    """Background jobs (label sheets, nightly checks, purges)."""


@jobs.command("worker")
@click.option("--threads", type=click.IntRange(1, 32), help="Jobs run at once (JOBS_THREADS).")
@with_appcontext
def worker(threads: int | None) -> None:
    """Run jobs until stopped (SIGINT: finish the running ones; SIGTERM: stop now)."""
    found = engine.get()
    threads = threads or current_app.config.get("JOBS_THREADS", 2)
    where = urlsplit(found.url)
    shown = f"{where.scheme}://{where.hostname or ''}{where.path}"  # never the password
    click.echo(f"Job worker: {threads} thread(s), queue {found.name!r} on {shown}.")
    found.consumer(threads).run()


@jobs.command("list")
@click.option("--state", type=click.Choice(list(vocab.JOB_STATES)))
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@with_appcontext
def list_jobs(state: str | None, limit: int) -> None:
    """The latest jobs, newest first."""
    query = sa.select(Job).order_by(Job.created_at.desc()).limit(limit)
    if state:
        query = query.where(Job.state == state)
    for job in db.session.scalars(query):
        tries = f"{job.attempts}/{job.max_attempts}"
        click.echo(
            f"{job.id}  {job.created_at:%Y-%m-%d %H:%M}  {job.state:<7}  {tries:<5}  "
            f"{job.kind}  {job.key or ''}  {job.message}".rstrip()
        )


@jobs.command("run")
@click.argument("kind")
@with_appcontext
def run_now(kind: str) -> None:
    """Queue a job of KIND now (e.g. keys.verify_chain); the worker runs it."""
    if kind not in engine.KINDS:
        raise click.ClickException(
            f"unknown job kind {kind!r}: one of {', '.join(sorted(engine.KINDS))}"
        )
    job = engine.submit(db.session, kind, title=kind)
    db.session.commit()
    click.echo(f"Queued {kind} as job {job.id}.")
