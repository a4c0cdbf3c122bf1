"""The items log's writes: receive an item, a supervisor's answer, collection or return.

Each step is one conditional UPDATE (``WHERE status IN`` what the rule allows), so two people
acting on one item at once cannot both succeed: the second finds it moved and is told so. Every
step adds a row to the item's history and an audit event; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.desk import rules
from webapp.models import Estate, Unit, User
from webapp.models.audit import record
from webapp.models.desk import DeskItem, DeskItemEvent
from webapp.models.sync import PhotoLink

RECORD_TYPE = "desk_item"  # a signature's photo link names the item so


class Moved(Exception):
    """The item is no longer in a status this step applies to (someone else acted first)."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Received:
    """What the desk writes when an item arrives."""

    unit: Unit
    kind: str
    description: str
    quantity: int
    resident_name: str
    received_from: str
    received_at: datetime


def _event(session, item: DeskItem, action: str, user: User | None, at, note="", handover_id=None):
    session.add(
        DeskItemEvent(
            item_id=item.id,
            estate_id=item.estate_id,
            action=action,
            status=item.status,
            at=at,
            user_id=user.id if user is not None else None,
            handover_id=handover_id,
            note=note,
        )
    )


def receive(session: Session, estate: Estate, what: Received, user: User, now: datetime):
    """Log an item received at the desk: held, or awaiting a supervisor's approval."""
    status = rules.first_status(what.kind, user.role)
    item = DeskItem(
        estate_id=estate.id,
        unit_id=what.unit.id,
        kind=what.kind,
        description=what.description,
        quantity=what.quantity,
        resident_name=what.resident_name,
        received_from=what.received_from,
        received_at=what.received_at,
        received_by_id=user.id,
        status=status,
        created_at=now,
    )
    if status == "held" and what.kind in rules.NEEDS_APPROVAL:
        # A supervisor at the desk: the approval is theirs, made by receiving it.
        item.decided_by_id, item.decided_at = user.id, now
    session.add(item)
    session.flush()
    _event(session, item, "receive", user, now)
    record(session, "desk.item.receive", item, actor=user, after={"status": status})
    return item


def _move(session: Session, item: DeskItem, action: str, values: dict) -> str:
    """Apply a transition if the item is still where the rule allows; its new status."""
    allowed = rules.TRANSITIONS[action]
    before = item.status
    target = allowed.get(before)
    if target is None:
        raise Moved(before)
    done = session.execute(
        sa.update(DeskItem)
        .where(DeskItem.id == item.id, DeskItem.status.in_(list(allowed)))
        .values(status=allowed[before], **values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(item)
    if done.rowcount != 1 or item.status != target:
        raise Moved(item.status)
    return before


def decide(session: Session, item: DeskItem, approve: bool, note: str, user: User, now: datetime):
    """A supervisor's answer to holding an item (rule 8.4)."""
    action = "approve" if approve else "refuse"
    before = _move(
        session,
        item,
        action,
        {"decided_by_id": user.id, "decided_at": now, "decision_note": note},
    )
    _event(session, item, action, user, now, note)
    record(
        session,
        f"desk.item.{action}",
        item,
        actor=user,
        before={"status": before},
        after={"status": item.status},
    )


def collect(session: Session, item: DeskItem, collector: str, signature_sha256: str, note: str,
            user: User, now: datetime):  # fmt: skip
    """The resident (or whoever they sent) collected the item and signed for it."""
    before = _move(
        session,
        item,
        "collect",
        {
            "closed_at": now,
            "closed_by_id": user.id,
            "collector_name": collector,
            "signature_sha256": signature_sha256,
            "close_note": note,
        },
    )
    # The signature shows on the item's page to its estate (a vouched link: the desk drew it).
    session.add(
        PhotoLink(
            sha256=signature_sha256,
            record_type=RECORD_TYPE,
            record_id=str(item.id),
            estate_id=item.estate_id,
            user_id=user.id,
            vouched=True,
        )
    )
    _event(session, item, "collect", user, now, note)
    record(
        session,
        "desk.item.collect",
        item,
        actor=user,
        before={"status": before},
        after={"status": item.status, "collector": collector},
    )


def give_back(session: Session, item: DeskItem, note: str, user: User, now: datetime):
    """The item went back to whoever brought it (refused, or never collected)."""
    before = _move(
        session,
        item,
        "return",
        {"closed_at": now, "closed_by_id": user.id, "close_note": note},
    )
    _event(session, item, "return", user, now, note)
    record(
        session,
        "desk.item.return",
        item,
        actor=user,
        before={"status": before},
        after={"status": item.status},
    )


def hand_over(session: Session, items: list[DeskItem], handover_id: int, user: User, now):
    """Mark each item as handed over to the next shift in its history."""
    for item in items:
        _event(session, item, "hand_over", user, now, handover_id=handover_id)
