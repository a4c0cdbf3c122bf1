"""The regional view: one line per estate for a user who sees several — open and overdue
findings, keys out and past their due-back time — each number one grouped query over all
the estates, so a supervisor of twenty estates costs the same reads as one of two.

Today's round coverage per estate is the rounds area's count (``tables.coverage_today``): it
fills its column from the dashboard's own coverage request, never from this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm

from webapp.extensions import db
from webapp.models import Estate, Key
from webapp.models.review import OPEN_STATUSES, FindingState
from webapp.models.sync import Finding, KeyEvent


@dataclass
class EstateLine:
    """One estate's numbers on the regional table."""

    estate_id: int
    name: str
    open: int = 0
    overdue: int = 0
    keys_out: int = 0
    keys_disputed: int = 0
    keys_overdue: int = 0


def _grouped(query: sa.Select) -> dict[int, int]:
    return {estate_id: int(n) for estate_id, n in db.session.execute(query)}


def keys_overdue_by_estate(ids: list[int], now: datetime) -> dict[int, int]:
    """Keys out whose latest lend's due-back time has passed, counted per estate."""
    lend = sa.orm.aliased(KeyEvent)
    latest_lend = (
        sa.select(sa.func.max(lend.occurred_at))
        .where(lend.key_id == Key.id, lend.action == "lend")
        .correlate(Key)
        .scalar_subquery()
    )
    return _grouped(
        sa.select(Key.estate_id, sa.func.count())
        .join(KeyEvent, sa.and_(KeyEvent.key_id == Key.id, KeyEvent.occurred_at == latest_lend))
        .where(
            Key.estate_id.in_(ids),
            Key.active,
            Key.status == "out",
            KeyEvent.action == "lend",
            KeyEvent.due_back < now,
        )
        .group_by(Key.estate_id)
    )


def keys_by_estate(ids: list[int]) -> dict[int, dict[str, int]]:
    """Keys out and disputed, per estate (``ix_key_estate_status``)."""
    out: dict[int, dict[str, int]] = {}
    for estate_id, status, n in db.session.execute(
        sa.select(Key.estate_id, Key.status, sa.func.count())
        .where(Key.estate_id.in_(ids), Key.active, Key.status.in_(("out", "disputed")))
        .group_by(Key.estate_id, Key.status)
    ):
        out.setdefault(estate_id, {})[status] = int(n)
    return out


def estate_lines(
    ids: list[int], now: datetime, keys=None, keys_late=None, open_=None, overdue=None, names=None
) -> list[EstateLine]:
    """Each of ``ids``' numbers, in estate order: four grouped reads and the names, whatever
    the number of estates (``keys``, ``keys_late``, ``open_``, ``overdue`` and ``names`` when
    the caller has them already: the dashboard counts open and overdue findings per estate in
    the passes of its own cards, ``tables.open_counts``, and reads the names once for all)."""
    keys = keys_by_estate(ids) if keys is None else keys
    keys_late = keys_overdue_by_estate(ids, now) if keys_late is None else keys_late
    if open_ is None:
        open_ = _grouped(
            sa.select(Finding.estate_id, sa.func.count())
            .where(Finding.estate_id.in_(ids), Finding.status.in_(OPEN_STATUSES))
            .group_by(Finding.estate_id)
        )
    if overdue is None:
        overdue = _grouped(
            sa.select(FindingState.estate_id, sa.func.count())
            .where(
                FindingState.estate_id.in_(ids),
                FindingState.status.in_(OPEN_STATUSES),
                FindingState.due_at < now,
            )
            .group_by(FindingState.estate_id)
        )
    if names is None:
        names = dict(
            db.session.execute(
                sa.select(Estate.id, Estate.name).where(Estate.id.in_(ids)).order_by(Estate.id)
            ).all()
        )
    lines = []
    for estate_id, name in sorted(names.items()):
        held = keys.get(estate_id, {})
        lines.append(
            EstateLine(
                estate_id=estate_id,
                name=name,
                open=open_.get(estate_id, 0),
                overdue=overdue.get(estate_id, 0),
                keys_out=held.get("out", 0),
                keys_disputed=held.get("disputed", 0),
                keys_overdue=keys_late.get(estate_id, 0),
            )
        )
    return lines
