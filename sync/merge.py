"""Push: store each op exactly once, in its own savepoint, and answer one result per op.

Idempotency: an op is known by its ``op_id`` (the primary key of ``sync_op``) and the hash of
its content (``type``, ``occurred_at`` as an instant, ``payload``). The op row is inserted in
the same savepoint as the records it makes, so an op is either wholly stored or not at all;
a concurrent push of the same op waits on the primary key and then reads it as a duplicate.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync import chain, custody, feed, photos
from sync.schemas import PAYLOAD_SCHEMAS, Op, OpSchema
from webapp import values
from webapp.labels.codes import normalize
from webapp.models import Key, LabelCode
from webapp.models.sync import (
    Check,
    Finding,
    KeyBaseline,
    KeyEvent,
    PhotoLink,
    QuarantinedOp,
    SyncOp,
)

SKEW_LIMIT = timedelta(minutes=5)
# An op made offline may sync days later: only a device time further back than this is a
# clock fault (a time in the future beyond SKEW_LIMIT always is).
OFFLINE_LIMIT = timedelta(days=7)
# Plain Core inserts on the tables, one compiled statement each: the hot path of push.
_OP_INSERT = sa.insert(SyncOp.__table__)
_CHECK_INSERT = sa.insert(Check.__table__)
_FINDING_INSERT = sa.insert(Finding.__table__)
_PHOTO_INSERT = sa.insert(PhotoLink.__table__)
# Schemas hold no per-load state: one instance each, not one per op.
_OP_SCHEMA = OpSchema()
_PAYLOADS = {name: schema() for name, schema in PAYLOAD_SCHEMAS.items()}


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
class _Context:
    session: Session
    actor: Actor
    now: datetime
    codes: dict[str, Any] = field(default_factory=dict)
    blobs: set[str] = field(default_factory=set)


def content_hash(op_type: Any, occurred_at: Any, payload: Any) -> str:
    """The hash that tells a replay (same content) from a reused op_id (other content)."""
    if isinstance(occurred_at, datetime):
        occurred_at = occurred_at.astimezone(UTC).isoformat()
    doc = {"type": op_type, "occurred_at": occurred_at, "payload": payload}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def parse(raw: Any) -> Op:
    """Validate one op's envelope and payload; raises Rejected."""
    if not isinstance(raw, dict):
        raise Rejected("validation", "An op must be an object.")
    if not values.storable(raw):
        raise Rejected(
            "bad_text",
            "Text must not hold NUL characters or unpaired surrogates; numbers must be finite.",
        )
    try:
        envelope = _OP_SCHEMA.load(raw)
    except ValidationError as exc:
        raise Rejected("validation", "The op envelope is not valid.", _fields(exc)) from exc
    schema = _PAYLOADS.get(envelope["type"])
    if schema is None:
        raise Rejected("unknown_type", f"Unknown op type {envelope['type']!r}.")
    try:
        payload = schema.load(envelope["payload"])
    except ValidationError as exc:
        raise Rejected("validation", "The op payload is not valid.", _fields(exc)) from exc
    return Op(
        op_id=envelope["op_id"],
        type=envelope["type"],
        occurred_at=envelope["occurred_at"].astimezone(UTC),
        payload=payload,
        raw_payload=envelope["payload"],
        content_hash=content_hash(envelope["type"], envelope["occurred_at"], envelope["payload"]),
    )


# Lock order, the same for every transaction that writes sync state (docs/sync-protocol.md):
# the device row (api/views.py flushes it first), then every key row the batch touches,
# sorted by id and locked in one statement, then the feed counter (sync/feed.py, at the
# first commit of a savepoint with feed changes). Locking keys one by one in op order let
# two phones lending the same keys in opposite orders deadlock each other.
# _KEY_OPS (the key ops whose keys are locked up front) is derived from the handlers below.


def _key_ids(ctx: _Context, ops: list[Op]) -> list[int]:
    """The keys of the estates the actor sees that the batch's key ops name."""
    ids = set()
    for op in ops:
        if op.type not in _KEY_OPS:
            continue
        row = ctx.codes.get(normalize(op.payload.get("code") or ""))
        if row is not None and row.item_type == "key" and row.estate_id in ctx.actor.estate_ids:
            ids.add(row.item_id)
    return sorted(ids)


def lock_keys(session: Session, key_ids: list[int]) -> None:
    """Lock key rows in id order (PostgreSQL's LockRows runs after the sort), up front."""
    if key_ids:
        session.execute(
            sa.select(Key.id).where(Key.id.in_(key_ids)).order_by(Key.id).with_for_update()
        ).all()


def _fields(exc: ValidationError) -> dict:
    messages = exc.messages
    return messages if isinstance(messages, dict) else {"_schema": messages}


def push(session: Session, actor: Actor, raw_ops: list, now: datetime) -> list[dict]:
    """Merge a batch of ops; one result per op, in order. The caller commits."""
    parsed: list[Op | Rejected] = []
    for raw in raw_ops:
        try:
            parsed.append(parse(raw))
        except Rejected as exc:
            parsed.append(exc)
    ops = [p for p in parsed if isinstance(p, Op)]
    ctx = _Context(session, actor, now)
    known = _known_ops(session, [op.op_id for op in ops])
    ctx.codes = _resolve_codes(session, [op.payload.get("code") for op in ops])
    ctx.blobs = _held_blobs(session, actor, [s for op in ops for s in op.payload.get("photos", [])])
    lock_keys(session, _key_ids(ctx, ops))

    results: list[dict | None] = [None] * len(raw_ops)
    slow: list[int] = []
    fast: list[tuple[int, Op, _Prepared]] = []
    seen: set[str] = set()
    for index, item in enumerate(parsed):
        if isinstance(item, Rejected):
            results[index] = _quarantine(ctx, raw_ops[index], item)
        elif item.type in PREPARERS and item.op_id not in known and item.op_id not in seen:
            seen.add(item.op_id)
            try:
                fast.append((index, item, PREPARERS[item.type](ctx, item)))
            except Rejected as exc:
                results[index] = _quarantine(ctx, raw_ops[index], exc)
        else:
            seen.add(item.op_id)
            slow.append(index)
    if fast and _apply_together(ctx, fast):
        for index, op, prepared in fast:
            _touch_feed(ctx, op, prepared)
            results[index] = _answer(op, prepared)
            known[op.op_id] = (op.content_hash, actor.user_id)
    else:
        slow.extend(index for index, _op, _prepared in fast)
    for index in sorted(slow):
        item = parsed[index]
        result = _push_one(ctx, raw_ops[index], item, known.get(item.op_id))
        if result["status"] in ("applied", "conflict"):
            # The same op twice in one batch: the second is a duplicate of the first.
            known[item.op_id] = (item.content_hash, actor.user_id)
        results[index] = result
    return results  # type: ignore[return-value]


@dataclass
class _Prepared:
    """What an op will write, computed before any write: status, answer, rows per table."""

    status: str
    data: dict
    estate_id: int | None
    rows: list[tuple[Any, dict]]


def _op_row(ctx: _Context, op: Op, prepared: _Prepared) -> dict:
    return {
        "op_id": op.op_id,
        "content_hash": op.content_hash,
        "type": op.type,
        "user_id": ctx.actor.user_id,
        "device_id": ctx.actor.device_id,
        "estate_id": prepared.estate_id,
        "occurred_at": op.occurred_at,
        "received_at": ctx.now,
        "clock_skewed": _skewed(op, ctx.now),
        "status": prepared.status,
        "flags": op.flags,
        "payload": op.raw_payload,
    }


def _apply_together(ctx: _Context, fast: list[tuple[int, Op, _Prepared]]) -> bool:
    """Write a run of independent new ops in one savepoint; False (nothing written) if any
    of them collides, so that each is then retried in its own savepoint."""
    by_statement: dict[Any, list[dict]] = {_OP_INSERT: []}
    for _index, op, prepared in fast:
        by_statement[_OP_INSERT].append(_op_row(ctx, op, prepared))
        for statement, params in prepared.rows:
            by_statement.setdefault(statement, []).append(params)
    try:
        with ctx.session.begin_nested():
            for statement, params in by_statement.items():
                ctx.session.execute(statement, params)
    except IntegrityError:
        return False
    return True


def _answer(op: Op, prepared: _Prepared) -> dict:
    result: dict[str, Any] = {"op_id": op.op_id, "status": prepared.status}
    if prepared.data:
        result["data"] = prepared.data
    return result


def _known_ops(session: Session, op_ids: list[str]) -> dict[str, tuple[str, int]]:
    if not op_ids:
        return {}
    rows = session.execute(
        sa.select(SyncOp.op_id, SyncOp.content_hash, SyncOp.user_id).where(
            SyncOp.op_id.in_(set(op_ids))
        )
    )
    return {op_id: (h, user_id) for op_id, h, user_id in rows}


def _resolve_codes(session: Session, codes: list[str | None]) -> dict[str, Any]:
    wanted = {normalize(c) for c in codes if c}
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(
            LabelCode.code,
            LabelCode.item_type,
            LabelCode.item_id,
            LabelCode.estate_id,
            LabelCode.active,
        ).where(LabelCode.code.in_(wanted))
    )
    return {row.code: row for row in rows}


def _held_blobs(session: Session, actor: Actor, shas: list[str]) -> set[str]:
    """The photos among ``shas`` that are here and that the sender may see (uploaded, or on
    their estates). Any other is answered missing, held or not: the answer tells nothing of
    another estate's photos, and the sender's own upload then vouches for their links."""
    if not shas:
        return set()
    return photos.visible_among(session, set(shas), actor.user_id, actor.estate_ids)


def _answer_known(ctx: _Context, op: Op, known: tuple[str, int]) -> dict | None:
    stored_hash, user_id = known
    if stored_hash == op.content_hash and user_id == ctx.actor.user_id:
        result = {"op_id": op.op_id, "status": "duplicate"}
        missing = [s for s in op.payload.get("photos", []) if s not in ctx.blobs]
        if missing:
            result["data"] = {"missing_blobs": missing}
        return result
    return None


def _push_one(ctx: _Context, raw: dict, op: Op, known: tuple[str, int] | None) -> dict:
    if known is not None:
        answer = _answer_known(ctx, op, known)
        if answer is not None:
            return answer
        return _quarantine(
            ctx, raw, Rejected("op_id_reused", "This op_id was used before with other content.")
        )
    session = ctx.session
    try:
        with session.begin_nested():
            prepare = PREPARERS.get(op.type) or SLOW_PREPARERS.get(op.type, _key_event)
            prepared = prepare(ctx, op)
            session.execute(_OP_INSERT, _op_row(ctx, op, prepared))
            for statement, params in prepared.rows:
                session.execute(statement, params)
            if session.new or session.dirty:
                session.flush()
    except Rejected as exc:
        return _quarantine(ctx, raw, exc)
    except IntegrityError:
        # Another push stored this op_id (or this record id) first: read what is there now.
        again = _known_ops(session, [op.op_id]).get(op.op_id)
        if again is not None:
            answer = _answer_known(ctx, op, again)
            if answer is not None:
                return answer
            return _quarantine(
                ctx,
                raw,
                Rejected("op_id_reused", "This op_id was used before with other content."),
            )
        return _quarantine(ctx, raw, Rejected("id_reused", "This record id belongs to another op."))
    _touch_feed(ctx, op, prepared)
    return _answer(op, prepared)


# Records that phones pull back (sync/pull.py LOADERS), by the op that makes them.
_FEED_TYPES = {"check.record": "check", "finding.create": "finding"}


def _touch_feed(ctx: _Context, op: Op, prepared: _Prepared) -> None:
    """Put a record the merge inserted around the ORM in the change feed (written at commit,
    under the one feed sequence number, so the cursor's commit order holds)."""
    kind = _FEED_TYPES.get(op.type)
    if kind is not None and prepared.estate_id is not None:
        feed.touch(ctx.session, kind, op.payload["id"], prepared.estate_id)


def _skewed(op: Op, now: datetime) -> bool:
    """A clock ahead of the server, or further behind than an offline phone plausibly is."""
    return op.occurred_at - now > SKEW_LIMIT or now - op.occurred_at > OFFLINE_LIMIT


def _quarantine(ctx: _Context, raw: Any, exc: Rejected) -> dict:
    """Keep a rejected op as sent (once per op_id and content) and answer ``rejected``.

    Text no database stores (a NUL, a lone surrogate) is kept written out as its escape."""
    raw = values.escape_unstorable(raw)
    op_id = raw.get("op_id") if isinstance(raw, dict) else None
    op_id_text = str(op_id)[:200] if op_id is not None else ""
    digest = (
        content_hash(raw.get("type"), raw.get("occurred_at"), raw.get("payload"))
        if isinstance(raw, dict)
        else content_hash(None, None, raw)
    )
    session = ctx.session
    exists = session.scalar(
        sa.select(QuarantinedOp.id).where(
            QuarantinedOp.op_id == op_id_text, QuarantinedOp.content_hash == digest
        )
    )
    if exists is None:
        try:
            with session.begin_nested():
                session.execute(
                    sa.insert(QuarantinedOp).values(
                        op_id=op_id_text,
                        content_hash=digest,
                        type=str(raw.get("type"))[:64] if isinstance(raw, dict) else None,
                        user_id=ctx.actor.user_id,
                        device_id=ctx.actor.device_id,
                        estate_id=_estate_hint(ctx, raw),
                        error=exc.error,
                        message=exc.message[:500],
                        raw=_jsonable(raw),
                        received_at=ctx.now,
                    )
                )
        except IntegrityError:
            pass  # a concurrent push quarantined the same op
    result = {"op_id": op_id_text, "status": "rejected", "error": exc.error, "message": exc.message}
    if exc.fields:
        result["data"] = {"fields": exc.fields}
    return result


def _jsonable(raw: Any) -> Any:
    return json.loads(json.dumps(raw, default=str))


def _estate_hint(ctx: _Context, raw: Any) -> int | None:
    """The estate a rejected op was about, when the user may see it (for the review list)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("payload"), dict):
        return None
    payload = raw["payload"]
    code = payload.get("code")
    if isinstance(code, str):
        row = ctx.codes.get(normalize(code))
        if row is not None and row.estate_id in ctx.actor.estate_ids:
            return row.estate_id
    estate_id = payload.get("estate_id")
    if isinstance(estate_id, int) and estate_id in ctx.actor.estate_ids:
        return estate_id
    return None


# ---------------------------------------------------------------- handlers


def _item_for(ctx: _Context, op: Op, code: str, kinds: tuple[str, ...]):
    row = ctx.codes.get(normalize(code))
    if row is None or row.estate_id not in ctx.actor.estate_ids:
        # One answer for unknown and not-yours: no existence leak across estates.
        raise Rejected("unknown_code", "No item of your estates has this code.")
    if row.item_type not in kinds:
        raise Rejected("wrong_item", f"This code names a {row.item_type}, not a {kinds[0]}.")
    if not row.active and "retired_code" not in op.flags:
        op.flags.append("retired_code")
    return row


def _base(ctx: _Context, op: Op) -> dict:
    return {
        "op_id": op.op_id,
        "user_id": ctx.actor.user_id,
        "device_id": ctx.actor.device_id,
        "occurred_at": op.occurred_at,
        "received_at": ctx.now,
        "clock_skewed": _skewed(op, ctx.now),
        "retired_code": "retired_code" in op.flags,
    }


def _data(ctx: _Context, op: Op, extra: dict | None = None) -> dict:
    data = dict(extra or {})
    missing = [s for s in op.payload.get("photos", []) if s not in ctx.blobs]
    if missing:
        data["missing_blobs"] = missing
    flags = list(op.flags) + (["clock_skew"] if _skewed(op, ctx.now) else [])
    if flags:
        data["flags"] = flags
    return data


def _photo_row(ctx: _Context, sha256: str, record_type: str, record_id: str, estate_id: int):
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


def _photo_rows(ctx: _Context, op: Op, record_type: str, estate_id: int):
    return [
        _photo_row(ctx, s, record_type, op.payload["id"], estate_id)
        for s in dict.fromkeys(op.payload.get("photos", []))
    ]


def _check_record(ctx: _Context, op: Op):
    p = op.payload
    row = _item_for(ctx, op, p["code"], ("unit", "key", "sign"))
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
                "result": p["result"],
                "answers": p.get("answers") or {},
                "note": p.get("note"),
                "round_id": p.get("round_id"),
                "geo_lat": geo.get("lat"),
                "geo_lon": geo.get("lon"),
                "geo_accuracy_m": geo.get("accuracy_m"),
                **_base(ctx, op),
            },
        )
    ]
    rows += _photo_rows(ctx, op, "check", row.estate_id)
    return _Prepared("applied", _data(ctx, op), row.estate_id, rows)


def _finding_create(ctx: _Context, op: Op):
    p = op.payload
    item_type = item_id = None
    if p.get("code"):
        row = _item_for(ctx, op, p["code"], ("unit", "key", "sign"))
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
                **_base(ctx, op),
            },
        )
    ]
    rows += _photo_rows(ctx, op, "finding", estate_id)
    return _Prepared("applied", _data(ctx, op), estate_id, rows)


_ACTIONS = {"key.lend": "lend", "key.return": "return", "key.issue": "issue"}
APPROVERS = ("engineering", "supervisor", "admin")


def _key_event(ctx: _Context, op: Op):
    p = op.payload
    row = _item_for(ctx, op, p["code"], ("key",))
    action = _ACTIONS[op.type]
    fields = {
        "id": p["id"],
        "action": action,
        "borrower_name": p.get("borrower_name"),
        "borrower_type": p.get("borrower_type"),
        "purpose": p.get("purpose"),
        "due_back": p["due_back"].astimezone(UTC) if p.get("due_back") else None,
        "id_checked": p.get("id_checked"),
        **_base(ctx, op),
    }
    if action == "issue":
        fields["borrower_name"], fields["borrower_type"] = p["owner_name"], "owner"
    key, event, conflict = append_key_event(ctx.session, row.item_id, fields, ctx.now)
    if action == "issue" and key.key_class != "owner":
        raise Rejected("wrong_item", "Only owner keys are issued to owners.")
    rows = []
    if p.get("signature"):
        # The batch looked up only `photos`: is the signature's PNG already here (and theirs)?
        ctx.blobs |= _held_blobs(ctx.session, ctx.actor, [p["signature"]])
        rows.append(_photo_row(ctx, p["signature"], "key_event", p["id"], key.estate_id))
        op.payload.setdefault("photos", [p["signature"]])
    flags = ["unapproved"] if event.unapproved else []
    data = _data(ctx, op, {"key": {"status": key.status, "holder": key.holder}})
    if flags:
        data["flags"] = data.get("flags", []) + flags
    return _Prepared("conflict" if conflict else "applied", data, key.estate_id, rows)


def append_key_event(session: Session, key_id: int, fields: dict, now: datetime):
    """Append one event to a key's history under the key's row lock: judge custody again,
    apply the equipment-room approval rule, link the event into the key's hash chain.
    Returns ``(key, event, conflict)``."""
    from webapp.models.keys import APPROVAL_WINDOW_HOURS, KeyApproval

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
    before = custody.walk(start, [_as_event(e) for e in history])
    event = KeyEvent(
        estate_id=key.estate_id,
        key_id=key.id,
        seq=max((e.seq for e in history), default=0) + 1,
        **fields,
    )
    event.unapproved = False
    if event.action == "lend" and key.key_class == "equipment_room":
        # Engineering approves before the handover: an unused approval given before the lend.
        approval = session.scalars(
            sa.select(KeyApproval)
            .where(
                KeyApproval.key_id == key.id,
                KeyApproval.used_by_event_id.is_(None),
                KeyApproval.occurred_at <= event.occurred_at,
                KeyApproval.occurred_at
                >= event.occurred_at - timedelta(hours=APPROVAL_WINDOW_HOURS),
            )
            .order_by(KeyApproval.occurred_at.desc())
        ).first()
        if approval is None:
            event.unapproved = True
        else:
            approval.used_by_event_id = event.id
    after = custody.walk(start, [_as_event(e) for e in history] + [_as_event(event)])
    conflict = len(after.inconsistent) > len(before.inconsistent)
    event.conflict = conflict
    for e in [*history, event]:
        flag = e.id in after.inconsistent
        if e.inconsistent != flag:
            e.inconsistent = flag
    event.prev_hash = baseline.head_hash or chain.GENESIS
    event.hash = chain.seal(event)
    baseline.head_hash, baseline.head_seq = event.hash, event.seq
    session.add(event)
    if (key.status, key.holder_name, key.holder_type) != (
        after.status,
        after.holder_name,
        after.holder_type,
    ):
        key.status, key.holder_name, key.holder_type = (
            after.status,
            after.holder_name,
            after.holder_type,
        )
    session.flush()
    return key, event, conflict


def _key_approve(ctx: _Context, op: Op):
    from webapp.models import User
    from webapp.models.keys import KeyApproval

    p = op.payload
    row = _item_for(ctx, op, p["code"], ("key",))
    user = ctx.session.get(User, ctx.actor.user_id)
    if user is None or user.role not in APPROVERS:
        raise Rejected("forbidden", "Only engineering or a supervisor approves a key.")
    key = ctx.session.get(Key, row.item_id)
    if key.key_class != "equipment_room":
        raise Rejected("wrong_item", "Only equipment-room keys need an approval.")
    ctx.session.add(
        KeyApproval(
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
    )
    return _Prepared("applied", _data(ctx, op), key.estate_id, [])


def _as_event(e: KeyEvent) -> custody.Event:
    return custody.Event(
        id=e.id,
        action=e.action,
        occurred_at=e.occurred_at,
        seq=e.seq,
        borrower_name=e.borrower_name,
        borrower_type=e.borrower_type,
        settled_status=e.settled_status,
    )


# Ops that depend on nothing but their own payload: these may be written together.
PREPARERS = {
    "check.record": _check_record,
    "finding.create": _finding_create,
}

# Ops that read and write shared state (a key's history): one savepoint each.
SLOW_PREPARERS = {"key.approve": _key_approve}

# Every op that touches a key's history, from the handlers themselves: a key op added there is
# locked in the global order without a second list to remember.
_KEY_OPS = frozenset(_ACTIONS) | frozenset(SLOW_PREPARERS)
