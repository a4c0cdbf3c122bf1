"""Handlers of the rectification notice ops (issue 20): issued on the phone, numbered here,
delivered, signed, re-inspected (rectified, or escalated to a stop-work notice 《停工通知》).

A notice's number is handed out when its ``notice.issue`` is stored, from one counter row per
estate and year (``notice_counter``): ``INSERT ... ON CONFLICT DO UPDATE SET value = value + 1
RETURNING value``. The row stays locked until the push commits, so two pushes numbering notices
of one estate take their numbers one after the other (PostgreSQL: the row lock; SQLite: the
write lock of ``BEGIN IMMEDIATE``), and a unique index on (estate, year, number) holds the
rest. The handler runs in its op's savepoint (these ops are never on the fast path): an op
that is rolled back gives its number back. The counter comes after the device and key rows in
the push's lock order and before the feed counter (docs/sync-protocol.md).
"""

from __future__ import annotations

import uuid
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sync import alerts
from sync.context import (
    Context,
    Prepared,
    Rejected,
    base,
    data,
    held_blobs,
    item_for,
    photo_row,
    photo_rows,
    skewed,
)
from sync.schemas import Op
from webapp.models import Estate
from webapp.models.renovation import (
    NoticeAction,
    NoticeCounter,
    RectificationNotice,
    Reinspection,
    RenovationPermit,
    StopWork,
    notice_number,
)

_NOTICE_INSERT = sa.insert(RectificationNotice.__table__)
_ACTION_INSERT = sa.insert(NoticeAction.__table__)
_REINSPECTION_INSERT = sa.insert(Reinspection.__table__)
_STOP_INSERT = sa.insert(StopWork.__table__)
# A stop-work's id comes from its re-inspection's: the same op always makes the same one.
STOP_WORK_NS = uuid.UUID("5b0c1f7e-3d2a-4c61-9a57-0d1f2e3c4b5a")
# The office's page of a notice (an alert's link; sync/ knows no url_for).
NOTICE_PATH = "/renovation/notices/{id}"


def next_number(ctx: Context, estate_id: int, year: int) -> int:
    """Take the estate's next notice number of ``year``, locking its counter until commit."""
    dialect = ctx.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(NoticeCounter)
    stmt = (
        insert.values(estate_id=estate_id, year=year, value=1)
        .on_conflict_do_update(
            index_elements=[NoticeCounter.estate_id, NoticeCounter.year],
            set_={"value": NoticeCounter.value + 1},
        )
        .returning(NoticeCounter.value)
    )
    return int(ctx.session.execute(stmt).scalar_one())


def estate_day(ctx: Context, op: Op, estate_id: int) -> date:
    """The op's day on its estate's calendar (by receipt time when its clock is off)."""
    zone = ctx.session.scalar(sa.select(Estate.timezone).where(Estate.id == estate_id))
    at = ctx.now if skewed(op, ctx.now) else op.occurred_at
    return at.astimezone(ZoneInfo(zone or "UTC")).date()


def permit_of(ctx: Context, unit_id: int, day: date) -> int | None:
    """The unit's permit active on ``day`` (the latest begun, if several), or None."""
    return ctx.session.scalar(
        sa.select(RenovationPermit.id)
        .where(
            RenovationPermit.unit_id == unit_id,
            RenovationPermit.starts_on <= day,
            sa.or_(RenovationPermit.closed_on.is_(None), RenovationPermit.closed_on >= day),
        )
        .order_by(RenovationPermit.starts_on.desc(), RenovationPermit.id.desc())
        .limit(1)
    )


def is_repeat(ctx: Context, permit_id: int | None) -> bool:
    """列為再次違規: the permit has a notice already (a second violation of one renovation)."""
    if permit_id is None:
        return False
    earlier = sa.select(RectificationNotice.id).where(RectificationNotice.permit_id == permit_id)
    return ctx.session.scalar(earlier.limit(1)) is not None


def issue(ctx: Context, op: Op) -> Prepared:
    """``notice.issue``: a notice on a unit, numbered now (2026-0042); flagged ``no_permit``
    when the unit had no active permit that day (it is stored all the same)."""
    p = op.payload
    row = item_for(ctx, op, p["code"], ("unit",))
    day = estate_day(ctx, op, row.estate_id)
    permit_id = permit_of(ctx, row.item_id, day)
    if permit_id is None and "no_permit" not in op.flags:
        op.flags.append("no_permit")
    seq = next_number(ctx, row.estate_id, day.year)
    repeat = is_repeat(ctx, permit_id)
    notice = {
        "id": p["id"],
        "estate_id": row.estate_id,
        "unit_id": row.item_id,
        "permit_id": permit_id,
        "finding_id": p.get("finding_id"),
        "year": day.year,
        "seq": seq,
        "rules": list(p["rules"]),
        "note": p.get("note") or "",
        "deadline": p["deadline"],
        "status": "issued",
        "repeat": repeat,
        **base(ctx, op),
    }
    rows = [(_NOTICE_INSERT, notice), *photo_rows(ctx, op, "notice", row.estate_id)]
    answer = data(ctx, op, {"number": notice_number(day.year, seq), "repeat": repeat})
    return Prepared("applied", answer, row.estate_id, rows)


def find_notice(ctx: Context, notice_id: str) -> RectificationNotice:
    notice = ctx.session.get(RectificationNotice, notice_id)
    if notice is None or notice.estate_id not in ctx.actor.estate_ids:
        # Not here yet (its issue is still to come) or another estate's: one answer.
        raise Rejected("unknown_notice", "No notice of your estates has this id.")
    return notice


def _action(ctx: Context, op: Op, notice: RectificationNotice, **values) -> tuple:
    observed = base(ctx, op)
    observed["retired_code"] = False
    return (
        _ACTION_INSERT,
        {
            "id": op.payload["id"],
            "notice_id": notice.id,
            "estate_id": notice.estate_id,
            "method": None,
            "recipient": None,
            "signer_role": None,
            "signature_sha256": None,
            "note": "",
            **values,
            **observed,
        },
    )


def deliver(ctx: Context, op: Op) -> Prepared:
    """``notice.deliver``: how the notice reached its addressee, with its photos; the notice
    is delivered from the first delivery by device time."""
    p = op.payload
    notice = find_notice(ctx, p["notice_id"])
    if notice.delivered_at is None or op.occurred_at < notice.delivered_at:
        notice.delivered_at, notice.delivery_method = op.occurred_at, p["method"]
    if notice.status == "issued":
        notice.status = "delivered"
    rows = [
        _action(
            ctx,
            op,
            notice,
            kind="delivery",
            method=p["method"],
            recipient=p.get("recipient") or "",
            note=p.get("note") or "",
        ),
        *photo_rows(ctx, op, "notice_action", notice.estate_id),
    ]
    return Prepared("applied", data(ctx, op), notice.estate_id, rows)


def sign(ctx: Context, op: Op) -> Prepared:
    """``notice.sign``: a signature drawn on the phone, a PNG uploaded as a photo."""
    p = op.payload
    return signed(ctx, op, p["notice_id"], p.get("role") or "owner", p.get("signer_name") or "")


def signed(ctx: Context, op: Op, notice_id: str, role: str, name: str) -> Prepared:
    """A notice's signature (``notice.sign``, or ``signature.capture`` of a notice)."""
    p = op.payload
    notice = find_notice(ctx, notice_id)
    if notice.signed_at is None or op.occurred_at < notice.signed_at:
        notice.signed_at = op.occurred_at
    # The batch looked up only `photos`: is the signature's PNG already here (and theirs)?
    ctx.blobs |= held_blobs(ctx.session, ctx.actor, [p["signature"]])
    op.payload.setdefault("photos", [p["signature"]])
    rows = [
        _action(
            ctx,
            op,
            notice,
            kind="signature",
            recipient=name,
            signer_role=role,
            signature_sha256=p["signature"],
        ),
        photo_row(ctx, p["signature"], "notice_action", p["id"], notice.estate_id),
    ]
    return Prepared("applied", data(ctx, op), notice.estate_id, rows)


def reinspect(ctx: Context, op: Op) -> Prepared:
    """``reinspect.result``: the notice re-inspected. Rectified closes it (and lifts its
    stop-work); not rectified escalates it and makes its stop-work notice 《停工通知》 (once: a
    second failure leaves the one in force) with a ``stop_work`` alert. A rectified notice is
    final: a later result is kept, flagged ``already_rectified``, and changes nothing."""
    p = op.payload
    notice = find_notice(ctx, p["notice_id"])
    stop = ctx.session.scalar(sa.select(StopWork).where(StopWork.notice_id == notice.id))
    rows = [
        (
            _REINSPECTION_INSERT,
            {
                "id": p["id"],
                "notice_id": notice.id,
                "estate_id": notice.estate_id,
                "result": p["result"],
                "note": p.get("note") or "",
                **base(ctx, op),
            },
        ),
        *photo_rows(ctx, op, "reinspection", notice.estate_id),
    ]
    if notice.status == "rectified":
        op.flags.append("already_rectified")
    elif p["result"] == "rectified":
        notice.status, notice.rectified_at = "rectified", op.occurred_at
        if stop is not None and stop.lifted_at is None:
            stop.lifted_at, stop.lifted_by = op.occurred_at, p["id"]
    else:
        notice.status = "escalated"
        if stop is None:
            rows += _stop_work(ctx, op, notice)
    extra = {"status": notice.status}
    if stop is not None or notice.status == "escalated":
        extra["stop_work"] = notice.number
    return Prepared("applied", data(ctx, op, extra), notice.estate_id, rows)


def _stop_work(ctx: Context, op: Op, notice: RectificationNotice) -> list[tuple]:
    """The stop-work notice's row, and its alert (keyed by the notice: one per notice)."""
    label = f"{notice.number} {notice.unit.label}"
    return [
        (
            _STOP_INSERT,
            {
                "id": str(uuid.uuid5(STOP_WORK_NS, op.payload["id"])),
                "notice_id": notice.id,
                "estate_id": notice.estate_id,
                "unit_id": notice.unit_id,
                "permit_id": notice.permit_id,
                "reinspection_id": op.payload["id"],
                "user_id": ctx.actor.user_id,
                "issued_at": op.occurred_at,
                "lifted_at": None,
                "lifted_by": None,
            },
        ),
        alerts.row(
            ctx.session,
            "stop_work",
            f"stop_work:{notice.id}",
            notice.estate_id,
            ctx.now,
            {
                "notice_id": notice.id,
                "label": label,
                "path": NOTICE_PATH.format(id=notice.id),
            },
        ),
    ]
