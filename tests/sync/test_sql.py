"""sync/sql.py's ``among``: the rows of ``IN (list)``, in one statement text whatever the list."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sync.sql import among
from webapp.extensions import db
from webapp.models import Estate

NAMES = sa.select(Estate.name).where(among(Estate.id, "ids")).order_by(Estate.id)


@pytest.mark.parametrize("wanted", [[], [1], [0, 2], [3, 3, 99], list(range(2000))])
def test_among_finds_what_in_finds(app, wanted):
    """For no value, one, a repeat, an id nobody has and 2,000 values, are the rows those of
    ``IN``?"""
    with app.app_context():
        db.session.add_all(Estate(name=f"among-{n}") for n in range(4))
        db.session.flush()
        ids = list(db.session.scalars(sa.select(Estate.id).order_by(Estate.id)))
        # The i-th estate's id, or an id nobody has past the last.
        values = [ids[i] if i < len(ids) else 10_000_000 + i for i in wanted]
        expected = db.session.scalars(
            sa.select(Estate.name).where(Estate.id.in_(values)).order_by(Estate.id)
        ).all()
        assert db.session.scalars(NAMES, {"ids": values}).all() == expected
        db.session.rollback()


def test_on_postgresql_the_list_is_one_parameter(app):
    """On PostgreSQL, is a list of 3 or of 1,000 the same statement with one parameter (so
    SQLAlchemy's and psycopg's caches keep it)? Elsewhere, the expanding IN."""
    sent: list[tuple[str, object]] = []

    def listen(_conn, _cursor, statement, parameters, _context, _many):
        sent.append((statement, parameters))

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", listen)
        try:
            db.session.scalars(NAMES, {"ids": [1, 2, 3]}).all()
            db.session.scalars(NAMES, {"ids": list(range(1000))}).all()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listen)
        postgresql = db.engine.dialect.name == "postgresql"
    (short, short_params), (long, long_params) = sent[-2:]
    if postgresql:
        assert short == long and "ANY" in short
        assert len(short_params) == len(long_params) == 1
    else:
        assert "IN (" in short and len(long_params) == 1000
