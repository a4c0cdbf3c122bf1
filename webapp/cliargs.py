"""What the flask commands of every area read the same way: an estate named by id or name.

A leaf below ``webapp.cli`` (which registers every area's commands), so an area's own
commands can use it without importing the module that imports them.
"""

from __future__ import annotations

import click
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Estate


def resolve_estate(ref: str) -> Estate:
    """Find an estate by id or by exact name, or fail with a clear message."""
    ref = ref.strip()
    estate = None
    if ref.isdigit():
        estate = db.session.get(Estate, int(ref))
    if estate is None:
        estate = db.session.scalar(sa.select(Estate).where(Estate.name == ref))
    if estate is None:
        names = ", ".join(
            f"{e.id} {e.name}" for e in db.session.scalars(sa.select(Estate).order_by(Estate.id))
        )
        raise click.BadParameter(
            f"no estate {ref!r}; known estates: {names or 'none'}", param_hint="--estate"
        )
    return estate
