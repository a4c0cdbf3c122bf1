"""``column IN (a list)`` that costs the same for ten values as for a thousand.

SQLAlchemy's expanding ``IN`` writes one placeholder per value into the statement on every
execution, and psycopg parses a statement of more than 50 parameters afresh each time (it
caches only shorter ones): a pull page of a thousand ids spent more CPU writing and parsing
its SQL than reading its rows. ``among(column, "ids")`` is ``column = ANY(%(ids)s)`` on
PostgreSQL — one array parameter, the same statement text whatever the list, so both caches
hold it (and psycopg prepares it on the server after a few runs) — and the expanding ``IN``
elsewhere (SQLite has no arrays). The list is given at execution: ``{"ids": [...]}``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, coercions, roles
from sqlalchemy.sql.visitors import InternalTraversal


class among(ColumnElement[bool]):  # noqa: N801 - reads as an operator, like sa.and_
    """``column`` is one of the values bound to ``key`` at execution."""

    inherit_cache = True
    type = sa.Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("key", InternalTraversal.dp_string),
    ]

    def __init__(self, column, key: str):
        self.column = coercions.expect(roles.ExpressionElementRole, column)
        self.key = key


@compiles(among)
def _expanding_in(element: among, compiler, **kw) -> str:
    return compiler.process(element.column.in_(sa.bindparam(element.key, expanding=True)), **kw)


@compiles(among, "postgresql")
def _any_array(element: among, compiler, **kw) -> str:
    values = sa.bindparam(element.key, type_=postgresql.ARRAY(element.column.type))
    return compiler.process(element.column == sa.any_(values), **kw)
