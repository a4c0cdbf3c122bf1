"""Verify the key events' hash chains over the whole database (or one estate)."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync.chain import Break, verify_key
from webapp.models import Key
from webapp.models.sync import KeyBaseline, KeyEvent


def breaks(session: Session, estate_id: int | None = None) -> Iterator[Break]:
    """Every key whose chain does not hold, first broken link each, in key order."""
    heads_q = sa.select(KeyBaseline.key_id, KeyBaseline.head_hash, KeyBaseline.head_seq)
    events_q = sa.select(KeyEvent).order_by(KeyEvent.key_id, KeyEvent.seq)
    if estate_id is not None:
        heads_q = heads_q.join(Key, Key.id == KeyBaseline.key_id).where(Key.estate_id == estate_id)
        events_q = events_q.where(KeyEvent.estate_id == estate_id)
    heads = {k: (h, s or 0) for k, h, s in session.execute(heads_q)}
    by_key: dict[int, list[KeyEvent]] = {}
    for event in session.scalars(events_q):
        by_key.setdefault(event.key_id, []).append(event)
    for key_id in sorted(set(heads) | set(by_key)):
        head_hash, head_seq = heads.get(key_id, (None, 0))
        found = verify_key(key_id, by_key.get(key_id, []), head_hash, head_seq)
        if found is not None:
            yield found
