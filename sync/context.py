"""What an op handler is given and what it gives back, with the helpers every handler shares.

A handler (sync/records.py, sync/keys.py; listed in sync/ops.py) takes the batch's
``Context`` and one parsed ``Op`` and returns a ``Prepared``: the answer's status and data,
the op's estate, and the rows to insert. It raises ``Rejected`` for an op it cannot apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync import photos
from sync.schemas import Op
from webapp.codes import normalize
from webapp.models.sync import PhotoLink

SKEW_LIMIT = timedelta(minutes=5)
# An op made offline may sync days later: only a device time further back than this is a
# clock fault (a time in the future beyond SKEW_LIMIT always is).
OFFLINE_LIMIT = timedelta(days=7)
_PHOTO_INSERT = sa.insert(PhotoLink.__table__)


@dataclass
class Actor:
    """Who pushes: the user, the estates they see, and the phone."""

    user_id: int
    estate_ids: list[int]
    device_id: str | None = None


class Rejected(Exception):
    """An op that cannot be applied to the records (it goes to the quarantine)."""

    def __init__(self, error: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.error, self.message, self.fields = error, message, fields or {}


@dataclass
class Context:
    """One batch: the session, who pushes, the server time, and what the batch looked up
    once for all its ops (the label codes it names, the photos the sender may see)."""

    session: Session
    actor: Actor
    now: datetime
    codes: dict[str, Any] = field(default_factory=dict)
    blobs: set[str] = field(default_factory=set)
    # What the batch's checks and findings need of each other (sync.records.BatchReads).
    derived: Any = None
    # Ops of the batch newly quarantined: the first is an alert (sync/alerts.py), not each.
    quarantined: int = 0
    # The sender's role, read by the merge when an op of the batch is for some roles only.
    role: str | None = None


@dataclass
class Prepared:
    """What an op will write, computed before any write: status, answer, rows per table,
    and the records besides its own it puts in the pull feed (kind, id)."""

    status: str
    data: dict
    estate_id: int | None
    rows: list[tuple[Any, dict]]
    touched: list[tuple[str, str]] = field(default_factory=list)


def skewed(op: Op, now: datetime) -> bool:
    """A clock ahead of the server, or further behind than an offline phone plausibly is."""
    return op.occurred_at - now > SKEW_LIMIT or now - op.occurred_at > OFFLINE_LIMIT


def held_blobs(session: Session, actor: Actor, shas: list[str]) -> set[str]:
    """The photos among ``shas`` that are here and that the sender may see (uploaded, or on
    their estates). Any other is answered missing, held or not: the answer tells nothing of
    another estate's photos, and the sender's own upload then vouches for their links."""
    if not shas:
        return set()
    return photos.visible_among(session, set(shas), actor.user_id, actor.estate_ids)


def item_for(ctx: Context, op: Op, code: str, kinds: tuple[str, ...]):
    """The label code row an op names, if it is of the sender's estates and of ``kinds``."""
    row = ctx.codes.get(normalize(code))
    if row is None or row.estate_id not in ctx.actor.estate_ids:
        # One answer for unknown and not-yours: no existence leak across estates.
        raise Rejected("unknown_code", "No item of your estates has this code.")
    if row.item_type not in kinds:
        raise Rejected("wrong_item", f"This code names a {row.item_type}, not a {kinds[0]}.")
    if not row.active and "retired_code" not in op.flags:
        op.flags.append("retired_code")
    return row


def base(ctx: Context, op: Op) -> dict:
    """The columns every record an op makes carries: who, when, and what was flagged."""
    return {
        "op_id": op.op_id,
        "user_id": ctx.actor.user_id,
        "device_id": ctx.actor.device_id,
        "occurred_at": op.occurred_at,
        "received_at": ctx.now,
        "clock_skewed": skewed(op, ctx.now),
        "retired_code": "retired_code" in op.flags,
    }


def data(ctx: Context, op: Op, extra: dict | None = None) -> dict:
    """The answer's ``data``: ``extra``, the photos still to upload, and the op's flags."""
    out = dict(extra or {})
    missing = [s for s in op.payload.get("photos", []) if s not in ctx.blobs]
    if missing:
        out["missing_blobs"] = missing
    flags = list(op.flags) + (["clock_skew"] if skewed(op, ctx.now) else [])
    if flags:
        out["flags"] = flags
    return out


def photo_row(ctx: Context, sha256: str, record_type: str, record_id: str, estate_id: int):
    """A link of a photo to a record: vouched (shown to the record's estate) only when the
    sender may already see the photo; else when the sender uploads it (sync/photos.py)."""
    return (
        _PHOTO_INSERT,
        {
            "sha256": sha256,
            "record_type": record_type,
            "record_id": record_id,
            "estate_id": estate_id,
            "user_id": ctx.actor.user_id,
            "vouched": sha256 in ctx.blobs,
        },
    )


def photo_rows(ctx: Context, op: Op, record_type: str, estate_id: int):
    """The links of every photo an op names (each once) to the record it makes."""
    return [
        photo_row(ctx, s, record_type, op.payload["id"], estate_id)
        for s in dict.fromkeys(op.payload.get("photos", []))
    ]
