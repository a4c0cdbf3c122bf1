"""What the flask commands of every area read the same way: an estate named by id or name.

A leaf below ``webapp.cli`` (which registers every area's commands), so an area's own
commands can use it without importing the module that imports them.
"""

from __future__ import annotations

from contextlib import suppress

import click
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Estate
from webapp.text import fold
from webapp.values import object_id


def resolve_estate(ref: str) -> Estate:
    """Find an estate by id or by name as names are kept (``webapp.text.fold``: typed
    full-width or pasted with invisible ends, it is the same name), or fail with a clear
    message."""
    ref = fold(ref)
    estate = None
    with suppress(ValueError):  # no id: ፩ (isdigit, but no int), 5,000 digits, past 32 bits
        estate = db.session.get(Estate, object_id(ref))
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
