"""Verify the key events' hash chains over the whole database (or one estate)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync.chain import SEALED, SEALED_IF_SET, Break, verify_key
from webapp.models import Key
from webapp.models.sync import KeyBaseline, KeyEvent


def breaks(session: Session, estate_id: int | None = None) -> Iterator[Break]:
    """Every key whose chain does not hold, first broken link each, in key order."""
    heads_q = sa.select(KeyBaseline.key_id, KeyBaseline.head_hash, KeyBaseline.head_seq)
    # The sealed columns as plain rows, key by key, read in batches: years of events are
    # checked without an ORM object each.
    columns = KeyEvent.__table__.c
    events_q = (
        sa.select(*{columns[name] for name in (*SEALED, *SEALED_IF_SET, "hash")})
        .order_by(columns.key_id, columns.seq)
        .execution_options(yield_per=5000)
    )
    if estate_id is not None:
        heads_q = heads_q.join(Key, Key.id == KeyBaseline.key_id).where(Key.estate_id == estate_id)
        events_q = events_q.where(columns.estate_id == estate_id)
    heads = {k: (h, s or 0) for k, h, s in session.execute(heads_q)}
    found: list[Break] = []
    checked = set()
    for key_id, events in itertools.groupby(session.execute(events_q), lambda e: e.key_id):
        checked.add(key_id)
        head_hash, head_seq = heads.get(key_id, (None, 0))
        broken = verify_key(key_id, list(events), head_hash, head_seq)
        if broken is not None:
            found.append(broken)
    # A head with no event left at all: its events were all deleted.
    for key_id in set(heads) - checked:
        broken = verify_key(key_id, [], *heads[key_id])
        if broken is not None:
            found.append(broken)
    yield from sorted(found, key=lambda b: b.key_id)
