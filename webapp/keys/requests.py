"""The desk's requests to engineering (rule 5.3(2)): ask for an equipment-room key's loan or for
copies of a key, engineering's answer, the lend an approval lets out, and the copies registered.

A loan's approval is made through ``key.approve`` (the same op a phone sends): the lend that
follows uses it as any approved lend does, so the hash chain, the lend check and the loan
record's approver need nothing new. Each answer is one conditional UPDATE (``WHERE status =
'pending'``): two engineers answering at once cannot both succeed. The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from sync import key_requests as rules
from sync.keys import lock_keys, may_approve
from webapp.keys.pushing import push_ops
from webapp.labels.codes import mint_many
from webapp.models import Key, LabelCode, User, shown_names
from webapp.models.audit import record
from webapp.models.key_requests import KeyCopy, KeyRequest
from webapp.models.keys import KeyApproval
from webapp.registry.changes import snapshot

MAX_HOURS = 72  # a loan longer than three days is not a loan: the key is handed over for good
MAX_COPIES = 10


class Refused(Exception):
    """The request or step may not happen; the message says why, in the reader's language."""


class Moved(Exception):
    """The request is no longer pending (someone answered or withdrew it first)."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


def _audit(session, request: KeyRequest, action: str, user: User, before=None, **after):
    record(
        session,
        f"key.request.{action}",
        request,
        actor=user,
        before=before,
        after={"key": request.key_id, "kind": request.kind, "status": request.status, **after},
        estate_id=request.estate_id,
    )


def _refuse_twice(session: Session, key: Key, kind: str, now: datetime) -> None:
    waiting = rules.open_request(session, key.id, kind, now)
    if waiting is not None and waiting.status == "pending":
        raise Refused(_("%(key)s: a request is already waiting for engineering.", key=key.label))
    if waiting is not None:
        raise Refused(_("%(key)s is already approved: lend it now.", key=key.label))


def ask_loan(session: Session, key: Key, borrower_name: str, borrower_type: str, purpose: str,
             hours: int, user: User, now: datetime) -> KeyRequest:  # fmt: skip
    """The desk asks engineering to let an equipment-room key out: to whom, for what, how long."""
    if key.key_class != "equipment_room":
        raise Refused(
            _(
                "%(key)s is not an equipment-room key: it is lent without engineering's approval.",
                key=key.label,
            )
        )
    _refuse_twice(session, key, "loan", now)
    request = KeyRequest(
        estate_id=key.estate_id,
        key_id=key.id,
        kind="loan",
        borrower_name=borrower_name,
        borrower_type=borrower_type,
        purpose=purpose,
        hours=hours,
        requested_by_id=user.id,
        created_at=now,
    )
    return _made(session, request, user)


def ask_copy(session: Session, key: Key, copies: int, purpose: str, user: User,
             now: datetime) -> KeyRequest:  # fmt: skip
    """The desk asks engineering to have copies of a key made (rule 5.3(2)②): why, how many."""
    _refuse_twice(session, key, "copy", now)
    request = KeyRequest(
        estate_id=key.estate_id,
        key_id=key.id,
        kind="copy",
        copies=copies,
        purpose=purpose,
        requested_by_id=user.id,
        created_at=now,
    )
    return _made(session, request, user)


def _made(session: Session, request: KeyRequest, user: User) -> KeyRequest:
    session.add(request)
    session.flush()
    _audit(session, request, "create", user)
    rules.announce(session, request, "requested")
    return request


def _move(session: Session, request: KeyRequest, action: str, values: dict) -> str:
    """Apply a step if the request is still pending; the status it had."""
    before = request.status
    target = rules.after(action, before)
    if target is None:
        raise Moved(before)
    done = session.execute(
        sa.update(KeyRequest)
        .where(KeyRequest.id == request.id, KeyRequest.status == before)
        .values(status=target, **values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    if done.rowcount != 1 or request.status != target:
        raise Moved(request.status)
    return before


def decide(session: Session, request: KeyRequest, approve: bool, reason: str, user: User,
           now: datetime) -> None:  # fmt: skip
    """Engineering's answer. A loan's approval is a ``key.approve`` pushed through the merge, as
    from a phone: good for the key's next lend within 12 hours."""
    if not may_approve(user.role):
        raise Refused(_("Only engineering approves or refuses these requests."))
    lock_keys(session, [request.key_id])
    action = "approve" if approve else "refuse"
    values = {"decided_by_id": user.id, "decided_at": now, "reason": "" if approve else reason}
    before = _move(session, request, action, values)
    if approve and request.kind == "loan":
        code = session.scalar(
            sa.select(LabelCode.code).where(
                LabelCode.item_type == "key", LabelCode.item_id == request.key_id, LabelCode.active
            )
        )
        if code is None:
            raise Refused(_("This key has no label code: print its label first."))
        payload = {"code": code, "note": request.purpose}
        if request.borrower_name:
            payload["borrower_name"] = request.borrower_name
        (result,) = push_ops("key.approve", [payload])
        if result["status"] != "applied":
            raise Refused(result.get("message") or _("The approval was not recorded."))
        request.approval_id = session.scalar(
            sa.select(KeyApproval.id).where(KeyApproval.op_id == result["op_id"])
        )
    _audit(session, request, action, user, before={"status": before}, reason=request.reason)
    rules.announce(session, request, request.status)


def withdraw(session: Session, request: KeyRequest, user: User, now: datetime) -> None:
    """The desk takes back a request engineering has not answered."""
    before = _move(session, request, "withdraw", {"decided_by_id": user.id, "decided_at": now})
    _audit(session, request, "withdraw", user, before={"status": before})
    rules.announce(session, request, "withdrawn")


def lend(session: Session, request: KeyRequest, id_checked: bool, now: datetime) -> dict:
    """Lend the key as an approved loan request asked: one ``key.lend`` through the merge (it
    uses the approval). The caller checked the key is in the cabinet; the result of the op."""
    if request.kind != "loan" or request.status != "approved":
        raise Refused(_("Only an approved loan request lends its key."))
    used = _used(session, [request]).get(request.id)
    if used or rules.shown_status(request, bool(used), now) == "expired":
        raise Refused(_("This approval is used or expired: ask engineering again."))
    code = session.scalar(
        sa.select(LabelCode.code).where(
            LabelCode.item_type == "key", LabelCode.item_id == request.key_id, LabelCode.active
        )
    )
    payload = {
        "code": code,
        "borrower_name": request.borrower_name or "",
        "borrower_type": request.borrower_type or "contractor",
        "purpose": request.purpose or "",
        "due_back": (now + timedelta(hours=request.hours or 4)).isoformat(),
        "id_checked": id_checked,
    }
    (result,) = push_ops("key.lend", [payload])
    return result


def register_copies(session: Session, request: KeyRequest, user: User, now: datetime) -> list[Key]:
    """Register the new keys an approved copy request allows: each a key like its source (same
    class, unit or room) with its own label code, linked to the source and the approval."""
    if request.kind != "copy" or request.status != "approved":
        raise Refused(
            _("A key is copied only with engineering's approval: ask for it first (rule 5.3).")
        )
    lock_keys(session, [request.key_id])
    made = session.scalar(
        sa.select(sa.func.count()).select_from(KeyCopy).where(KeyCopy.request_id == request.id)
    )
    wanted = (request.copies or 0) - made
    if wanted <= 0:
        raise Refused(_("The copies this approval allows are all registered."))
    source = session.get(Key, request.key_id)
    keys = []
    for _n in range(wanted):
        key = Key(
            estate_id=source.estate_id,
            key_class=source.key_class,
            kind=source.kind,
            unit_id=source.unit_id,
            building_id=source.building_id,
            floor=source.floor,
            equipment_room=source.equipment_room,
            name=source.name,
            copies=1,
            status="in",
            created_at=now,
        )
        session.add(key)
        keys.append(key)
    session.flush()
    mint_many(session, "key", keys)
    for key in keys:
        session.add(
            KeyCopy(
                key_id=key.id,
                source_key_id=source.id,
                request_id=request.id,
                estate_id=source.estate_id,
                user_id=user.id,
                created_at=now,
            )
        )
        record(session, "key.create", key, actor=user, after=snapshot("key", key))
    _audit(session, request, "copies", user, registered=[k.id for k in keys])
    return keys


# ---------------------------------------------------------------- reading


@dataclass
class Row:
    """A request as the queue and the desk show it."""

    request: KeyRequest
    status: str  # shown: expired for an approved loan past its hours
    asked_by: str = ""
    decided_by: str = ""
    lent: bool = False  # a loan's approval let the key out
    good_until: datetime | None = None
    copies: list[tuple[Key, str]] = field(default_factory=list)  # (new key, short code)

    @property
    def key(self) -> Key:
        return self.request.key

    @property
    def to_register(self) -> int:
        r = self.request
        if r.kind != "copy" or r.status != "approved":
            return 0
        return max((r.copies or 0) - len(self.copies), 0)


def _used(session: Session, requests: list[KeyRequest]) -> dict[int, str | None]:
    """Each loan request's approval's lend (None: not lent yet)."""
    by_approval = {r.approval_id: r.id for r in requests if r.approval_id}
    if not by_approval:
        return {}
    rows = session.execute(
        sa.select(KeyApproval.id, KeyApproval.used_by_event_id).where(
            KeyApproval.id.in_(list(by_approval))
        )
    )
    return {by_approval[a]: used for a, used in rows}


def rows_of(session: Session, requests: list[KeyRequest], now: datetime) -> list[Row]:
    """The requests with who asked and answered, whether lent, the copies registered."""
    used = _used(session, requests)
    names = shown_names(
        session, [r.requested_by_id for r in requests] + [r.decided_by_id for r in requests]
    )
    copies: dict[int, list[tuple[Key, str]]] = {}
    copy_ids = [r.id for r in requests if r.kind == "copy" and r.status == "approved"]
    if copy_ids:
        found = session.execute(
            sa.select(KeyCopy.request_id, Key, LabelCode.short_code)
            .join(Key, Key.id == KeyCopy.key_id)
            .outerjoin(
                LabelCode,
                sa.and_(
                    LabelCode.item_type == "key", LabelCode.item_id == Key.id, LabelCode.active
                ),
            )
            .where(KeyCopy.request_id.in_(copy_ids))
            .order_by(Key.id)
        )
        for request_id, key, short in found:
            copies.setdefault(request_id, []).append((key, short or ""))
    rows = []
    for r in requests:
        lent = bool(used.get(r.id))
        rows.append(
            Row(
                request=r,
                status=rules.shown_status(r, lent, now),
                asked_by=names.get(r.requested_by_id, ""),
                decided_by=names.get(r.decided_by_id, "") if r.decided_by_id else "",
                lent=lent,
                good_until=rules.good_until(r),
                copies=copies.get(r.id, []),
            )
        )
    return rows


def _select(estate_ids):
    return (
        sa.select(KeyRequest)
        .where(KeyRequest.estate_id.in_(list(estate_ids)))
        .options(
            selectinload(KeyRequest.key).selectinload(Key.unit),
            selectinload(KeyRequest.key).selectinload(Key.building),
        )
    )


def pending(session: Session, estate_ids, now: datetime, limit: int = 100) -> list[Row]:
    """Engineering's queue: the requests waiting for an answer, oldest first."""
    found = session.scalars(
        _select(estate_ids)
        .where(KeyRequest.status == "pending")
        .order_by(KeyRequest.created_at, KeyRequest.id)
        .limit(limit)
    ).all()
    return rows_of(session, list(found), now)


def decided(session: Session, estate_ids, now: datetime, limit: int = 20) -> list[Row]:
    """The latest answers (approved, refused, withdrawn), newest first."""
    found = session.scalars(
        _select(estate_ids)
        .where(KeyRequest.status != "pending")
        .order_by(KeyRequest.decided_at.desc(), KeyRequest.id.desc())
        .limit(limit)
    ).all()
    return rows_of(session, list(found), now)
