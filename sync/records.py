"""Handlers of the ops that make a record of their own (a check, a finding).

They depend on nothing but their own payload, so a batch writes them together (the fast
path in sync/merge.py).
"""

from __future__ import annotations

import sqlalchemy as sa

from sync.context import Context, Prepared, Rejected, base, data, item_for, photo_rows
from sync.schemas import Op
from webapp.models.sync import Check, Finding

_CHECK_INSERT = sa.insert(Check.__table__)
_FINDING_INSERT = sa.insert(Finding.__table__)


def check_record(ctx: Context, op: Op) -> Prepared:
    """``check.record``: a check of a unit, key or sign."""
    p = op.payload
    row = item_for(ctx, op, p["code"], ("unit", "key", "sign"))
    geo = p.get("geo") or {}
    rows = [
        (
            _CHECK_INSERT,
            {
                "id": p["id"],
                "estate_id": row.estate_id,
                "item_type": row.item_type,
                "item_id": row.item_id,
                "code": row.code,
                "method": p["method"],
                "manual_reason": p.get("manual_reason"),
                "result": p["result"],
                "answers": p.get("answers") or {},
                "note": p.get("note"),
                "round_id": p.get("round_id"),
                "geo_lat": geo.get("lat"),
                "geo_lon": geo.get("lon"),
                "geo_accuracy_m": geo.get("accuracy_m"),
                **base(ctx, op),
            },
        )
    ]
    rows += photo_rows(ctx, op, "check", row.estate_id)
    return Prepared("applied", data(ctx, op), row.estate_id, rows)


def finding_create(ctx: Context, op: Op) -> Prepared:
    """``finding.create``: a finding on a coded item, or at a place of an estate."""
    p = op.payload
    item_type = item_id = None
    if p.get("code"):
        row = item_for(ctx, op, p["code"], ("unit", "key", "sign"))
        estate_id, item_type, item_id = row.estate_id, row.item_type, row.item_id
    else:
        estate_id = p["estate_id"]
        if estate_id not in ctx.actor.estate_ids:
            raise Rejected("unknown_estate", "You have no estate with this id.")
    rows = [
        (
            _FINDING_INSERT,
            {
                "id": p["id"],
                "estate_id": estate_id,
                "item_type": item_type,
                "item_id": item_id,
                "location": p.get("location"),
                "severity": p["severity"],
                "category": p["category"],
                "note": p["note"],
                "status": "open",
                "check_id": p.get("check_id"),
                **base(ctx, op),
            },
        )
    ]
    rows += photo_rows(ctx, op, "finding", estate_id)
    return Prepared("applied", data(ctx, op), estate_id, rows)
