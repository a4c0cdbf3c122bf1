"""The desk's requests to engineering as rules: how a request's status moves, what it shows, and
how an approval that arrives as an op (``key.approve``, from a phone or the desk page) answers
the key's waiting loan request.

Like the rest of ``sync/``: a session passed in, no Flask, no commit (the caller owns the
transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.models.key_requests import KeyRequest
from webapp.models.keys import APPROVAL_WINDOW_HOURS, KeyApproval

# action -> {status before: status after}: only a pending request is answered or withdrawn.
TRANSITIONS: dict[str, dict[str, str]] = {
    "approve": {"pending": "approved"},
    "refuse": {"pending": "refused"},
    "withdraw": {"pending": "withdrawn"},
}

# Called as ``listener(session, request, what)`` in the writer's transaction once a request is
# made (``what`` = "requested") or answered ("approved", "refused", "withdrawn"). The alerts
# (webapp/alerts) add one here to tell engineering of a new request and the desk of the answer.
LISTENERS: list[Callable[[Session, KeyRequest, str], None]] = []


def announce(session: Session, request: KeyRequest, what: str) -> None:
    """Tell every listener that a request was made or answered."""
    for listener in LISTENERS:
        listener(session, request, what)


def after(action: str, status: str) -> str | None:
    """The status ``action`` leaves a request of ``status`` in; None if it may not happen."""
    return TRANSITIONS[action].get(status)


def good_until(request: KeyRequest) -> datetime | None:
    """Until when an approved loan request's approval lets the key out."""
    if request.kind != "loan" or request.status != "approved" or request.decided_at is None:
        return None
    return request.decided_at + timedelta(hours=APPROVAL_WINDOW_HOURS)


def shown_status(request: KeyRequest, used: bool, now: datetime) -> str:
    """The status a reader sees: an approved loan not lent within the approval's hours has
    expired (``used``: its approval let a lend out)."""
    until = good_until(request)
    if until is not None and not used and now > until:
        return "expired"
    return request.status


def open_request(session: Session, key_id: int, kind: str, now: datetime) -> KeyRequest | None:
    """The key's request of this kind still open: pending, or (a loan) approved and still
    good and unused — the desk does not ask twice."""
    statuses = ["pending"] + (["approved"] if kind == "loan" else [])
    rows = session.scalars(
        sa.select(KeyRequest)
        .where(
            KeyRequest.key_id == key_id,
            KeyRequest.kind == kind,
            KeyRequest.status.in_(statuses),
        )
        .order_by(KeyRequest.created_at)
    ).all()
    for row in rows:
        if row.status == "pending":
            return row
        if row.approval_id is None:
            continue
        used = session.scalar(
            sa.select(KeyApproval.used_by_event_id).where(KeyApproval.id == row.approval_id)
        )
        until = good_until(row)
        if used is None and until is not None and now <= until:
            return row
    return None


def answer_by_approval(session: Session, approval: KeyApproval) -> KeyRequest | None:
    """An approval of a key that arrived as an op answers the key's oldest waiting loan request
    (engineering approved at the key, on its phone or the desk page, not from its queue)."""
    request = session.scalars(
        sa.select(KeyRequest)
        .where(
            KeyRequest.key_id == approval.key_id,
            KeyRequest.kind == "loan",
            KeyRequest.status == "pending",
        )
        .order_by(KeyRequest.created_at)
        .limit(1)
    ).first()
    if request is None:
        return None
    done = session.execute(
        sa.update(KeyRequest)
        .where(KeyRequest.id == request.id, KeyRequest.status == "pending")
        .values(
            status="approved",
            decided_by_id=approval.user_id,
            decided_at=approval.occurred_at,
            approval_id=approval.id,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    if done.rowcount != 1:
        return None
    announce(session, request, "approved")
    return request
