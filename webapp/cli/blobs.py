"""``flask blobs``: the blob store's upkeep. ``flask blobs migrate`` copies the blob folder
(photos, signatures, job output) into the bucket BLOB_STORE=s3 names.

Idempotent and resumable: a blob already in the bucket with the same sha256 is skipped, so
an interrupted run is simply run again; each copy is verified against the checksum the bucket
keeps for it (S3 checks it on arrival too). The folder is left as it was.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from sync import blobs


@click.group("blobs")
def blobs_group() -> None:
    """The blob store (photos, signatures, job output)."""


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


@blobs_group.command("migrate")
@click.option(
    "--from",
    "source_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The folder to copy from (default: BLOB_DIR).",
)
@click.option("--dry-run", is_flag=True, help="Count what would be copied; copy nothing.")
@with_appcontext
def migrate(source_dir: Path | None, dry_run: bool) -> None:
    """Copy the blob folder into the bucket (BLOB_STORE=s3), verifying every copy."""
    config = current_app.config
    if config.get("BLOB_STORE") != "s3":
        raise click.ClickException(
            "BLOB_STORE is not s3: set BLOB_STORE=s3 and S3_BUCKET (README, Configuration) "
            "to name the bucket to copy into"
        )
    source = blobs.FileStore(source_dir or config["BLOB_DIR"])
    target = blobs.from_config(config)
    click.echo(f"From the {source.where} to {target.where}{' (dry run)' if dry_run else ''}.")
    copied = present = failed = 0
    copied_bytes = 0
    for n, key in enumerate(source.iter_keys(), start=1):
        with source.path(key).open("rb") as fh:
            digest = blobs.sha256_of(fh)
            if target.checksum(key) == digest:
                present += 1
            elif dry_run:
                copied += 1
                copied_bytes += source.path(key).stat().st_size
            else:
                target.put(key, fh)
                if target.checksum(key) != digest:
                    failed += 1
                    click.echo(f"  {key}: the bucket's checksum does not match the file", err=True)
                else:
                    copied += 1
                    copied_bytes += source.path(key).stat().st_size
        if n % 500 == 0:
            click.echo(f"  {n:,} looked at…")
    verb = "Would copy" if dry_run else "Copied"
    click.echo(
        f"{verb} {copied:,} blobs ({_size(copied_bytes)}); {present:,} already in the bucket"
        f"{f'; {failed:,} failed' if failed else ''}."
    )
    if failed:
        raise click.ClickException(f"{failed:,} blobs did not copy whole: run it again")
