"""The one estate-scoping helper: every query of estate data goes through here."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from webapp.extensions import db
from webapp.models import Estate, User, user_estate

MAX_INTEGER_ID = 2**31 - 1


def visible_estate_ids(user=None) -> list[int]:
    """Ids of the estates the user (default: the current one) may see."""
    user = user or current_user
    if not getattr(user, "is_authenticated", False):
        return []
    return user.estate_ids


def manageable_user_ids(user=None) -> sa.Select:
    """Ids of the users an admin (default: the current user) manages.

    An organisation admin (``all_estates``) manages everyone. An estate admin manages the
    users whose estates are all among the admin's own, who have at least one, and who do not
    see every estate: a user who also belongs to an estate the admin cannot see is another
    admin's too (changing their password, role or access from one estate would take over the
    other), and an all-estates user belongs to every estate, present and future."""
    user = user or current_user
    if getattr(user, "all_estates", False):
        return sa.select(User.id)
    mine = visible_estate_ids(user)
    elsewhere = sa.select(user_estate.c.user_id).where(user_estate.c.estate_id.not_in(mine))
    everywhere = sa.select(User.id).where(User.all_estates)
    return (
        sa.select(user_estate.c.user_id)
        .where(
            user_estate.c.estate_id.in_(mine),
            user_estate.c.user_id.not_in(elsewhere),
            user_estate.c.user_id.not_in(everywhere),
        )
        .distinct()
    )


def people_of(estate_ids) -> sa.Select:
    """Ids of the users who see any of these estates: those appointed to one, and those who
    see every estate (their phones and refused records are these estates' too)."""
    appointed = sa.select(user_estate.c.user_id).where(user_estate.c.estate_id.in_(estate_ids))
    return sa.union(appointed, sa.select(User.id).where(User.all_estates))


def _estate_column(model):
    return model.id if model is Estate else model.estate_id


def scoped(model, user=None) -> sa.Select:
    """A SELECT of ``model`` limited to the user's estates."""
    return sa.select(model).where(_estate_column(model).in_(visible_estate_ids(user)))


def names_nothing(model, ident) -> bool:
    """Whether ``ident`` cannot be a primary key of ``model``: a number past the column's
    range (32-bit on PostgreSQL, 64-bit on SQLite: asking the database would raise instead of
    finding nothing), or text longer than its column (never read as its first characters: a
    padded id would find the record)."""
    if isinstance(ident, int):
        return not 0 < ident <= MAX_INTEGER_ID
    length = getattr(model.__mapper__.primary_key[0].type, "length", None)
    return isinstance(ident, str) and bool(length) and len(ident) > length


def get_scoped(model, ident, user=None):
    """Load one object of the user's estates, or answer 404 (never 403: no existence leak)."""
    if names_nothing(model, ident):
        abort(404)
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    estate_id = obj.id if model is Estate else obj.estate_id
    if estate_id not in visible_estate_ids(user):
        abort(404)
    return obj
