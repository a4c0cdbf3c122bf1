"""QR codes for many new items at once: one query for the estate's taken short codes, not two
per item (``webapp.labels.codes.ensure_code`` is the one-item path)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.labels.codes import SHORT_BODY_LENGTH, check_character, random_code
from webapp.models import LabelCode, utcnow


def ensure_codes(session: Session, item_type: str, items: list) -> list[LabelCode]:
    """Give each item (already flushed, so it has an id) an active code if it has none."""
    if not items:
        return []
    estate_ids = {item.estate_id for item in items}
    has_code = set(
        session.scalars(
            sa.select(LabelCode.item_id).where(
                LabelCode.item_type == item_type,
                LabelCode.item_id.in_([item.id for item in items]),
                LabelCode.active,
            )
        )
    )
    taken = {
        (estate_id, short)
        for estate_id, short in session.execute(
            sa.select(LabelCode.estate_id, LabelCode.short_code).where(
                LabelCode.estate_id.in_(estate_ids)
            )
        )
    }
    now = utcnow()
    minted = []
    for item in items:
        if item.id in has_code:
            continue
        while True:
            body = random_code(SHORT_BODY_LENGTH)
            short = body + check_character(body)
            if (item.estate_id, short) not in taken:
                taken.add((item.estate_id, short))
                break
        minted.append(
            LabelCode(
                estate_id=item.estate_id,
                item_type=item_type,
                item_id=item.id,
                code=random_code(),
                short_code=short,
                active=True,
                created_at=now,
            )
        )
    session.add_all(minted)
    return minted
