"""Key custody: the handlers of the key ops, the equipment-room approval rule, and the one
way an event joins a key's history (``append_key_event``, also used by the desk's dispute
resolution).

Every handler here reads and writes a key's shared history, so each op runs in its own
savepoint (never the batched fast path), and the key rows a batch names are locked up front
in id order (``lock_keys``; the lock order is in docs/sync-protocol.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sync import alerts, chain, custody, key_requests
from sync.context import Context, Prepared, Rejected, base, data, held_blobs, item_for, photo_row
from sync.schemas import Op
from webapp.models import Estate, Key, User
from webapp.models.keys import APPROVAL_WINDOW_HOURS, KeyApproval
from webapp.models.sync import KeyBaseline, KeyEvent

# Who approves an equipment-room key's lend: engineering alone (the rulebook). The sync
# handler, the desk (webapp/keys/views.py) and docs/sync-protocol.md all read this one line.
APPROVERS = ("engineering",)
# Who hands keys out and takes them back (lend, return, issue to an owner), on a phone or at
# the desk: the patrol, the front desk and a supervisor covering it — never the approver
# (engineering approves a lend; it does not make one) nor an estate's admin (the registry).
KEY_HANDLERS = ("patroller", "frontdesk", "supervisor")


@dataclass(frozen=True)
class LendDefault:
    """What a lend of a key class is for and when it is due back when it does not say: by
    ``by_hour`` o'clock (estate time) on the day it leaves, or ``hours`` after, the later."""

    purpose: str  # a webapp.vocab.KEY_PURPOSES value
    by_hour: int | None
    hours: int


# The one place the defaults live: a phone may leave purpose and due back out (the contract
# allows it) and gets these on the server; the desk's lend form starts from the same. Unit keys
# and public-area keys come back the same day, by 18:00 (two hours after a late lend); an
# equipment room's key four hours after it left (engineering's approval is good for 12).
LEND_DEFAULTS = {
    "owner": LendDefault("repair", by_hour=18, hours=2),
    "public_area": LendDefault("inspection", by_hour=18, hours=2),
    "equipment_room": LendDefault("equipment_maintenance", by_hour=None, hours=4),
}


def lend_default(key_class: str, lent_at: datetime, timezone: str) -> tuple[str, datetime]:
    """The purpose and due-back time (UTC) a lend of this key class gets when it says none."""
    rule = LEND_DEFAULTS[key_class]
    due = lent_at + timedelta(hours=rule.hours)
    if rule.by_hour is not None:
        local = lent_at.astimezone(ZoneInfo(timezone))
        by = local.replace(hour=rule.by_hour, minute=0, second=0, microsecond=0)
        due = max(due, by)
    return rule.purpose, due.astimezone(UTC)


def may_approve(role: str | None) -> bool:
    """Whether a user of ``role`` may approve an equipment-room key's next lend."""
    return role in APPROVERS


def approval_for(session: Session, key_id: int, at: datetime) -> KeyApproval | None:
    """The approval a lend of this key at ``at`` uses: the latest unused one given at most
    ``APPROVAL_WINDOW_HOURS`` before it (device times)."""
    return session.scalars(
        sa.select(KeyApproval)
        .where(
            KeyApproval.key_id == key_id,
            KeyApproval.used_by_event_id.is_(None),
            KeyApproval.occurred_at <= at,
            KeyApproval.occurred_at >= at - timedelta(hours=APPROVAL_WINDOW_HOURS),
        )
        .order_by(KeyApproval.occurred_at.desc())
        .limit(1)
    ).first()


def lock_keys(session: Session, key_ids: list[int]) -> None:
    """Lock key rows in id order (PostgreSQL's LockRows runs after the sort), up front."""
    if key_ids:
        session.execute(
            sa.select(Key.id).where(Key.id.in_(key_ids)).order_by(Key.id).with_for_update()
        ).all()


def lend(ctx: Context, op: Op) -> Prepared:
    """``key.lend``: a key handed to a borrower."""
    return _key_event(ctx, op, "lend")


def give_back(ctx: Context, op: Op) -> Prepared:
    """``key.return``: a key back in the cabinet."""
    return _key_event(ctx, op, "return")


def issue(ctx: Context, op: Op) -> Prepared:
    """``key.issue``: an owner key handed to its owner for good."""
    return _key_event(ctx, op, "issue")


def _key_event(ctx: Context, op: Op, action: str) -> Prepared:
    p = op.payload
    row = item_for(ctx, op, p["code"], ("key",))
    fields = {
        "id": p["id"],
        "action": action,
        "borrower_name": p.get("borrower_name"),
        "borrower_type": p.get("borrower_type"),
        "purpose": p.get("purpose"),
        "due_back": p["due_back"].astimezone(UTC) if p.get("due_back") else None,
        "id_checked": p.get("id_checked"),
        **base(ctx, op),
    }
    if action == "issue":
        fields["borrower_name"], fields["borrower_type"] = p["owner_name"], "owner"
        fields["id_type"], fields["id_last4"] = p.get("id_type"), p.get("id_last4")
    if action == "lend" and not ((fields["purpose"] or "").strip() and fields["due_back"]):
        _lend_defaults(ctx, row.item_id, fields)
    key, event, conflict = append_key_event(ctx.session, row.item_id, fields, ctx.now)
    if action == "issue" and key.key_class != "owner":
        raise Rejected("wrong_item", "Only owner keys are issued to owners.")
    rows = []
    if p.get("signature"):
        # The batch looked up only `photos`: is the signature's PNG already here (and theirs)?
        ctx.blobs |= held_blobs(ctx.session, ctx.actor, [p["signature"]])
        rows.append(photo_row(ctx, p["signature"], "key_event", p["id"], key.estate_id))
        op.payload.setdefault("photos", [p["signature"]])
    answer = data(ctx, op, {"key": {"status": key.status, "holder": key.holder}})
    if event.unapproved:
        answer["flags"] = answer.get("flags", []) + ["unapproved"]
    return Prepared("conflict" if conflict else "applied", answer, key.estate_id, rows)


def _lend_defaults(ctx: Context, key_id: int, fields: dict) -> None:
    """Give a lend that names no purpose or due back its key class's (before it is sealed);
    a skewed clock's lend counts from when it arrived."""
    key = ctx.session.get(Key, key_id)
    estate = ctx.session.get(Estate, key.estate_id)
    lent_at = fields["received_at"] if fields["clock_skewed"] else fields["occurred_at"]
    purpose, due = lend_default(key.key_class, lent_at, estate.timezone)
    if not (fields["purpose"] or "").strip():
        fields["purpose"] = purpose
    if not fields["due_back"]:
        fields["due_back"] = due


def approve(ctx: Context, op: Op) -> Prepared:
    """``key.approve``: engineering approves an equipment-room key's next lend."""
    p = op.payload
    row = item_for(ctx, op, p["code"], ("key",))
    user = ctx.session.get(User, ctx.actor.user_id)  # its role was checked by the merge
    key = ctx.session.get(Key, row.item_id)
    if key.key_class != "equipment_room":
        raise Rejected("wrong_item", "Only equipment-room keys need an approval.")
    approval = KeyApproval(
        id=p["id"],
        op_id=op.op_id,
        estate_id=key.estate_id,
        key_id=key.id,
        user_id=user.id,
        borrower_name=p.get("borrower_name"),
        note=p.get("note") or "",
        occurred_at=op.occurred_at.astimezone(UTC),
        received_at=ctx.now,
    )
    ctx.session.add(approval)
    # The desk may be waiting for this answer: its loan request of the key is approved by it.
    key_requests.answer_by_approval(ctx.session, approval)
    return Prepared("applied", data(ctx, op), key.estate_id, [])


def append_key_event(session: Session, key_id: int, fields: dict, now: datetime):
    """Append one event to a key's history under the key's row lock: judge custody again,
    apply the equipment-room approval rule, link the event into the key's hash chain.
    Returns ``(key, event, conflict)``."""
    # Lock the key: concurrent events on one key are judged one after another.
    key = session.scalars(
        sa.select(Key)
        .where(Key.id == key_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    baseline = session.get(KeyBaseline, key.id)
    if baseline is None:
        baseline = KeyBaseline(
            key_id=key.id,
            status=key.status,
            holder_name=key.holder_name,
            holder_type=key.holder_type,
            taken_at=now,
            head_seq=0,
        )
        session.add(baseline)
    history = list(session.scalars(sa.select(KeyEvent).where(KeyEvent.key_id == key.id)))
    start = (baseline.status, baseline.holder_name, baseline.holder_type)
    before = custody.walk(start, [as_event(e) for e in history])
    event = KeyEvent(
        estate_id=key.estate_id,
        key_id=key.id,
        seq=max((e.seq for e in history), default=0) + 1,
        **fields,
    )
    event.unapproved = False
    if event.action == "lend" and key.key_class == "equipment_room":
        # Engineering approves before the handover: an unused approval given before the lend.
        approval = approval_for(session, key.id, event.occurred_at)
        if approval is None:
            event.unapproved = True
        else:
            approval.used_by_event_id = event.id
    after = custody.walk(start, [as_event(e) for e in history] + [as_event(event)])
    conflict = len(after.inconsistent) > len(before.inconsistent)
    event.conflict = conflict
    for e in [*history, event]:
        flag = e.id in after.inconsistent
        if e.inconsistent != flag:
            e.inconsistent = flag
        pair = after.pairs.get(e.id)
        if e.pair_id != pair:
            e.pair_id = pair
    event.prev_hash = baseline.head_hash or chain.GENESIS
    event.hash = chain.seal(event)
    baseline.head_hash, baseline.head_seq = event.hash, event.seq
    session.add(event)
    key.status, key.holder_name, key.holder_type = (
        after.status,
        after.holder_name,
        after.holder_type,
    )
    key.due_back = after.due_back
    key.last_event_id, key.moved_at = event.id, event.occurred_at
    session.flush()
    if after.status == "disputed" and before.status != "disputed":
        alerts.record(
            session,
            "key_disputed",
            f"key_disputed:{key.id}:{event.id}",
            key.estate_id,
            now,
            {"key_id": key.id, "event_id": event.id},
        )
    return key, event, conflict


def as_event(e: KeyEvent) -> custody.Event:
    """A stored key event as the pure custody rule reads it."""
    return custody.Event(
        id=e.id,
        action=e.action,
        occurred_at=e.occurred_at,
        seq=e.seq,
        borrower_name=e.borrower_name,
        borrower_type=e.borrower_type,
        settled_status=e.settled_status,
        due_back=e.due_back,
    )
