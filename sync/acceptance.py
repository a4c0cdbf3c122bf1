"""Handlers of the completion acceptance ops (issue 20, item 4): ``acceptance.record`` — the
《裝修審批及竣工驗收表》 checklist done at the unit with engineering — and ``signature.capture``,
a signature of owner, contractor or manager drawn on the phone (a PNG uploaded as a photo).

A passed acceptance refunds what the office holds of the deposit, closes the permit (accepted)
and returns the unit to its status; those are the register's own writes (webapp/renovation,
which sync/ may not import), so the register hands them in at app start (``ACCEPT``). A failed
one issues a rectification notice listing the failed items, numbered as any notice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy as sa

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
)
from sync.notices import estate_day, is_repeat, next_number, signed
from sync.schemas import Op
from webapp import vocab
from webapp.models.renovation import (
    Acceptance,
    AcceptanceSignature,
    RectificationNotice,
    RenovationPermit,
    notice_number,
)

_ACCEPTANCE_INSERT = sa.insert(Acceptance.__table__)
_NOTICE_INSERT = sa.insert(RectificationNotice.__table__)
_SIGNATURE_INSERT = sa.insert(AcceptanceSignature.__table__)
# The notice a failed acceptance issues has an id made from the acceptance's.
NOTICE_NS = uuid.UUID("a3f1c0de-7b42-4e0a-8d5c-6f1e2a9b3c47")
# (session, permit, day, user id, now, acceptance id) -> the amount refunded; set by
# webapp/renovation at app start (the permit's close and refund are the register's writes).
ACCEPT: dict[str, Callable[..., int]] = {}


def open_permit(ctx: Context, unit_id: int, day: date) -> RenovationPermit | None:
    """The unit's permit the acceptance is for: open and begun by ``day`` (latest begun)."""
    return ctx.session.scalar(
        sa.select(RenovationPermit)
        .where(
            RenovationPermit.unit_id == unit_id,
            RenovationPermit.closed_on.is_(None),
            RenovationPermit.starts_on <= day,
        )
        .order_by(RenovationPermit.starts_on.desc(), RenovationPermit.id.desc())
        .limit(1)
    )


def failed_rules(version: int, answers: dict[str, str]) -> list[str]:
    """The rules the failed items name, once each, in the rules' order."""
    named = {i["rule"] for i in vocab.ACCEPTANCE_CHECKLISTS[version] if answers[i["key"]] == "no"}
    return [r for r in vocab.RENOVATION_RULES if r in named]


def record(ctx: Context, op: Op) -> Prepared:
    """``acceptance.record``: passed → deposit refunded, permit closed (accepted), unit back to
    its status; failed → a notice of the failed items (deadline from the payload). A unit with
    no open permit is recorded all the same, flagged ``no_permit`` (nothing to close)."""
    p = op.payload
    row = item_for(ctx, op, p["code"], ("unit",))
    day = estate_day(ctx, op, row.estate_id)
    permit = open_permit(ctx, row.item_id, day)
    if permit is None and "no_permit" not in op.flags:
        op.flags.append("no_permit")
    acceptance = {
        "id": p["id"],
        "estate_id": row.estate_id,
        "unit_id": row.item_id,
        "permit_id": permit.id if permit else None,
        "checklist_version": p["checklist_version"],
        "answers": dict(p["answers"]),
        "result": p["result"],
        "engineer": p["engineer"],
        "note": p.get("note") or "",
        "refunded": 0,
        "notice_id": None,
        **base(ctx, op),
    }
    rows: list[tuple] = [(_ACCEPTANCE_INSERT, acceptance)]
    rows += photo_rows(ctx, op, "acceptance", row.estate_id)
    extra: dict[str, Any] = {"result": p["result"]}
    touched: list[tuple[str, str]] = []
    if p["result"] == "passed":
        if permit is not None:
            acceptance["refunded"] = extra["refunded"] = ACCEPT["accept"](
                ctx.session, permit, day, ctx.actor.user_id, ctx.now, p["id"]
            )
    else:
        notice = _failure_notice(ctx, op, row, day, permit)
        acceptance["notice_id"] = notice["id"]
        extra.update(notice_id=notice["id"], notice_number=notice_number(day.year, notice["seq"]))
        rows.append((_NOTICE_INSERT, notice))
        rows += [
            photo_row(ctx, s, "notice", notice["id"], row.estate_id)
            for s in dict.fromkeys(p.get("photos", []))
        ]
        touched.append(("notice", notice["id"]))
    return Prepared("applied", data(ctx, op, extra), row.estate_id, rows, touched)


def _failure_notice(ctx: Context, op: Op, row, day: date, permit) -> dict:
    """The notice a failed acceptance issues: its failed items' rules, numbered. It names the
    acceptance, whose failed items say why (``Acceptance.failed_items``) in the reader's
    language; its note is left for words people write, never a sentence of the server's."""
    p = op.payload
    permit_id = permit.id if permit else None
    return {
        "id": str(uuid.uuid5(NOTICE_NS, p["id"])),
        "estate_id": row.estate_id,
        "unit_id": row.item_id,
        "permit_id": permit_id,
        "finding_id": None,
        "year": day.year,
        "seq": next_number(ctx, row.estate_id, day.year),
        "rules": failed_rules(p["checklist_version"], p["answers"]),
        "note": "",
        "deadline": p["deadline"],
        "status": "issued",
        "repeat": is_repeat(ctx, permit_id),
        "acceptance_id": p["id"],
        **base(ctx, op),
    }


def _acceptance(ctx: Context, acceptance_id: str) -> Acceptance:
    found = ctx.session.get(Acceptance, acceptance_id)
    if found is None or found.estate_id not in ctx.actor.estate_ids:
        # Not here yet (its record is still to come) or another estate's: one answer.
        raise Rejected("unknown_acceptance", "No acceptance of your estates has this id.")
    return found


def capture(ctx: Context, op: Op) -> Prepared:
    """``signature.capture``: a signature for an acceptance (owner, contractor, manager) or a
    notice (as ``notice.sign``), its PNG asked for in ``missing_blobs`` until uploaded."""
    p = op.payload
    if p["subject"] == "notice":
        return signed(ctx, op, p["subject_id"], p["role"], p.get("signer_name") or "")
    acceptance = _acceptance(ctx, p["subject_id"])
    ctx.blobs |= held_blobs(ctx.session, ctx.actor, [p["signature"]])
    op.payload.setdefault("photos", [p["signature"]])
    rows = [
        (
            _SIGNATURE_INSERT,
            {
                "id": p["id"],
                "acceptance_id": acceptance.id,
                "estate_id": acceptance.estate_id,
                "role": p["role"],
                "signer_name": p.get("signer_name") or "",
                "signature_sha256": p["signature"],
                **base(ctx, op),
            },
        ),
        photo_row(ctx, p["signature"], "acceptance_sig", p["id"], acceptance.estate_id),
    ]
    return Prepared("applied", data(ctx, op), acceptance.estate_id, rows)
