"""``flask --app webapp backup DIR`` and ``flask --app webapp restore DIR [--force]``."""

from __future__ import annotations

from pathlib import Path

import click
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from sync import blobs
from webapp.backup.archive import BackupError, backup, restore
from webapp.extensions import db


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(directory: Path) -> None:
    """Back up the database and the blobs (photos, job output) into a new folder."""
    try:
        done = backup(db.engine, blobs.from_config(current_app.config), directory)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Backed up {done.rows:,} rows in {len(done.counts)} tables and {done.blob_count:,} "
        f"blobs ({_size(done.blob_bytes)}, from the {done.manifest['blobs']['store']}) "
        f"to {directory} "
        f"({done.manifest['database']['file']}, manifest.json)."
    )


@click.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore_command(directory: Path, force: bool) -> None:
    """Restore a backup made by `flask backup` (stop the app first)."""
    try:
        done = restore(db.engine, blobs.from_config(current_app.config), directory, force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Restored {done.rows:,} rows in {len(done.counts)} tables and {done.blob_count:,} "
        f"blobs (into the {blobs.from_config(current_app.config).where}) from {directory}; "
        "every count matches the manifest."
    )
    head = ScriptDirectory(str(current_app.config["MIGRATIONS_DIR"])).get_current_head()
    if done.manifest["database"].get("revision") != head:
        click.echo(
            f"The backup's schema is at {done.manifest['database'].get('revision')}, this "
            f"code's at {head}: run `flask --app webapp db upgrade` next."
        )
