"""What phones pull of the renovation register: a unit's open permits (change type ``permit``:
hours, scope, the contractor and their phone), so the unit's page shows them offline, and its
rectification notices (``notice``: the number the server gave, the status, the delivery, a
stop-work in force) and its completion acceptances (``acceptance``)."""

from __future__ import annotations

import sqlalchemy as sa

from sync.photos import shown_links
from webapp.models import Unit
from webapp.models.renovation import Acceptance, RectificationNotice, RenovationPermit, StopWork
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


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def load_notices(session, ids) -> dict[str, dict]:
    """Pull loader: rectification notices by id (phones match their own on ``id``)."""
    rows = list(
        session.scalars(sa.select(RectificationNotice).where(RectificationNotice.id.in_(list(ids))))
    )
    stopped = set(
        session.scalars(
            sa.select(StopWork.notice_id).where(
                StopWork.notice_id.in_([r.id for r in rows]), StopWork.lifted_at.is_(None)
            )
        )
    )
    photos: dict[str, list[str]] = {}
    for record_id, sha in shown_links(session, "notice", [r.id for r in rows]):
        photos.setdefault(record_id, []).append(sha)
    return {
        n.id: {
            "estate_id": n.estate_id,
            "item_type": "unit",
            "item_id": n.unit_id,
            "permit_id": n.permit_id,
            "finding_id": n.finding_id,
            "op_id": n.op_id,
            "number": n.number,
            "rules": n.rules,
            "note": n.note,
            "deadline": n.deadline.isoformat(),
            "status": n.status,
            "delivery_method": n.delivery_method,
            "delivered_at": _iso(n.delivered_at),
            "signed_at": _iso(n.signed_at),
            "occurred_at": _iso(n.occurred_at),
            "photos": photos.get(n.id, []),
            "repeat": n.repeat,
            "rectified_at": _iso(n.rectified_at),
            "stop_work": n.id in stopped,
            "acceptance_id": n.acceptance_id,
        }
        for n in rows
    }


def load_acceptances(session, ids) -> dict[str, dict]:
    """Pull loader: completion acceptances by id (result, the refund or the notice it made)."""
    rows = session.scalars(sa.select(Acceptance).where(Acceptance.id.in_(list(ids))))
    return {
        a.id: {
            "estate_id": a.estate_id,
            "item_type": "unit",
            "item_id": a.unit_id,
            "permit_id": a.permit_id,
            "op_id": a.op_id,
            "checklist_version": a.checklist_version,
            "result": a.result,
            "engineer": a.engineer,
            "refunded": a.refunded,
            "notice_id": a.notice_id,
            "occurred_at": _iso(a.occurred_at),
        }
        for a in rows
    }
