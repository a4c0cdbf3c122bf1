"""``flask --app webapp keys verify-chain``: name the first broken link of the key events."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from webapp.cliargs import resolve_estate
from webapp.extensions import db
from webapp.keys.chain import breaks


@click.group("keys")
def keys() -> None:
    """The key register."""


@keys.command("verify-chain")
@click.option("--estate", "estate_ref", default=None, help="An estate's id or name (default: all).")
@with_appcontext
def verify_chain(estate_ref: str | None) -> None:
    """Check every key event's hash link; exit 1 naming the first broken link."""
    estate_id = resolve_estate(estate_ref).id if estate_ref else None
    found = list(breaks(db.session, estate_id))
    if not found:
        click.echo("Key event chain intact.")
        return
    click.echo(f"First broken link: {found[0].describe()}", err=True)
    if len(found) > 1:
        click.echo(f"({len(found)} keys have broken chains)", err=True)
    raise SystemExit(1)
