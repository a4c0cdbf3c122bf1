"""What phones pull of the renovation register: a unit's open permits (change type ``permit``:
hours, scope, the contractor and their phone), so the unit's page shows them offline."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.models import Unit
from webapp.models.renovation import RenovationPermit
from webapp.renovation.permits import hours_list


def load_permits(session, ids) -> dict[int, dict]:
    """Pull loader: open permits of active units by id (a closed one is a tombstone)."""
    rows = session.execute(
        sa.select(RenovationPermit)
        .join(Unit, Unit.id == RenovationPermit.unit_id)
        .where(
            RenovationPermit.id.in_([int(i) for i in ids]),
            RenovationPermit.closed_on.is_(None),
            Unit.active,
        )
    ).scalars()
    return {
        p.id: {
            "estate_id": p.estate_id,
            "item_type": "unit",  # the phone finds a unit's permits by it (store index item_key)
            "item_id": p.unit_id,
            "number": p.number,
            "owner_name": p.owner_name,
            "contractor": p.contractor,
            "contractor_phone": p.contractor_phone,
            "starts_on": p.starts_on.isoformat(),
            "ends_on": p.ends_on.isoformat() if p.ends_on else None,
            "hours": hours_list(p.hours),
            "scope": p.scope,
        }
        for p in rows
    }
