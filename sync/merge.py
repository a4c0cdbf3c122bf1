"""Push: store each op exactly once, in its own savepoint, and answer one result per op.

Idempotency: an op is known by its ``op_id`` (the primary key of ``sync_op``) and the hash of
its content (``type``, ``occurred_at`` as an instant, ``payload``). The op row is inserted in
the same savepoint as the records it makes, so an op is either wholly stored or not at all;
a concurrent push of the same op waits on the primary key and then reads it as a duplicate.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync import alerts, feed, records, schemas
from sync.context import Actor, Context, Prepared, Rejected, held_blobs, skewed
from sync.keys import lock_keys
from sync.ops import FAST_TYPES, KEY_OPS, OPS
from sync.schemas import Op, OpSchema
from sync.sql import among
from webapp import values
from webapp.codes import normalize
from webapp.models import LabelCode, User
from webapp.models.sync import QuarantinedOp, SyncOp

__all__ = ["Actor", "Rejected", "content_hash", "parse", "push"]

# Plain Core inserts on the tables, one compiled statement each: the hot path of push.
_OP_INSERT = sa.insert(SyncOp.__table__)
# Schemas hold no per-load state: one instance each, not one per op.
_OP_SCHEMA = OpSchema()
_PAYLOADS = {name: t.schema() for name, t in OPS.items()}


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
    # A type without its line in sync/ops.py is refused here: it never reaches a handler.
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
# Which ops lock a key comes from their line in sync/ops.py (KEY_OPS).


def _key_ids(ctx: Context, ops: list[Op]) -> list[int]:
    """The keys of the estates the actor sees that the batch's key ops name."""
    ids = set()
    for op in ops:
        if op.type not in KEY_OPS:
            continue
        row = ctx.codes.get(normalize(op.payload.get("code") or ""))
        if row is not None and row.item_type == "key" and row.estate_id in ctx.actor.estate_ids:
            ids.add(row.item_id)
    return sorted(ids)


def _fields(exc: ValidationError) -> dict:
    messages = exc.messages
    return messages if isinstance(messages, dict) else {"_schema": messages}


def push(session: Session, actor: Actor, raw_ops: list, now: datetime) -> list[dict]:
    """Merge a batch of ops; one result per op, in order. The caller commits."""
    parsed: list[Op | Rejected] = []
    # A whole ID number is cut to its last 4 before anything is kept (the op log, quarantine).
    raw_ops = [schemas.scrub(raw) for raw in raw_ops]
    for raw in raw_ops:
        try:
            parsed.append(parse(raw))
        except Rejected as exc:
            parsed.append(exc)
    ops = [p for p in parsed if isinstance(p, Op)]
    ctx = Context(session, actor, now)
    known = _known_ops(session, [op.op_id for op in ops])
    ctx.codes = _resolve_codes(session, [op.payload.get("code") for op in ops])
    ctx.blobs = held_blobs(session, actor, [s for op in ops for s in op.payload.get("photos", [])])
    lock_keys(session, _key_ids(ctx, ops))
    records.read_batch(ctx, _new_ops(ops, known))

    results: list[dict | None] = [None] * len(raw_ops)
    slow: list[int] = []
    fast: list[tuple[int, Op, Prepared]] = []
    seen: set[str] = set()
    for index, item in enumerate(parsed):
        if isinstance(item, Rejected):
            results[index] = _quarantine(ctx, raw_ops[index], item)
        elif item.type in FAST_TYPES and item.op_id not in known and item.op_id not in seen:
            seen.add(item.op_id)
            try:
                fast.append((index, item, _handler(ctx, item)(ctx, item)))
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


def _new_ops(ops: list[Op], known: dict) -> list[Op]:
    """The batch's ops not stored before, each op_id once (a replay changes nothing)."""
    seen: set[str] = set()
    out = []
    for op in ops:
        if op.op_id not in known and op.op_id not in seen:
            seen.add(op.op_id)
            out.append(op)
    return out


def _op_row(ctx: Context, op: Op, prepared: Prepared) -> dict:
    return {
        "op_id": op.op_id,
        "content_hash": op.content_hash,
        "type": op.type,
        "user_id": ctx.actor.user_id,
        "device_id": ctx.actor.device_id,
        "estate_id": prepared.estate_id,
        "occurred_at": op.occurred_at,
        "received_at": ctx.now,
        "clock_skewed": skewed(op, ctx.now),
        "status": prepared.status,
        "flags": op.flags,
        "payload": op.raw_payload,
    }


def _apply_together(ctx: Context, fast: list[tuple[int, Op, Prepared]]) -> bool:
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


def _answer(op: Op, prepared: Prepared) -> dict:
    result: dict[str, Any] = {"op_id": op.op_id, "status": prepared.status}
    if prepared.data:
        result["data"] = prepared.data
    return result


def _known_ops(session: Session, op_ids: list[str]) -> dict[str, tuple[str, int]]:
    if not op_ids:
        return {}
    rows = session.execute(_KNOWN, {"ids": list(set(op_ids))})
    return {op_id: (h, user_id) for op_id, h, user_id in rows}


# The batch's op ids and codes bound as one list each (sync/sql.py).
_KNOWN = sa.select(SyncOp.op_id, SyncOp.content_hash, SyncOp.user_id).where(
    among(SyncOp.op_id, "ids")
)
_CODES = sa.select(
    LabelCode.code,
    LabelCode.item_type,
    LabelCode.item_id,
    LabelCode.estate_id,
    LabelCode.active,
).where(among(LabelCode.code, "codes"))


def _resolve_codes(session: Session, codes: list[str | None]) -> dict[str, Any]:
    wanted = {normalize(c) for c in codes if c}
    if not wanted:
        return {}
    rows = session.execute(_CODES, {"codes": list(wanted)})
    return {row.code: row for row in rows}


def _answer_known(ctx: Context, op: Op, known: tuple[str, int]) -> dict | None:
    stored_hash, user_id = known
    if stored_hash == op.content_hash and user_id == ctx.actor.user_id:
        result = {"op_id": op.op_id, "status": "duplicate"}
        missing = [s for s in op.payload.get("photos", []) if s not in ctx.blobs]
        if missing:
            result["data"] = {"missing_blobs": missing}
        return result
    return None


def _push_one(ctx: Context, raw: dict, op: Op, known: tuple[str, int] | None) -> dict:
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
            prepared = _handler(ctx, op)(ctx, op)
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


def _handler(ctx: Context, op: Op):
    """The op's handler, from its line in sync/ops.py. parse() accepts only those types; a
    type that reached here without its line is refused for itself, never a 500 for the batch.
    A type only some roles may push is refused for a sender of another role (read once a
    batch, and only for such a type)."""
    op_type = OPS.get(op.type)
    if op_type is None:
        raise Rejected("unknown_type", f"Unknown op type {op.type!r}.")
    if op_type.roles is not None:
        if ctx.role is None:
            ctx.role = ctx.session.scalar(sa.select(User.role).where(User.id == ctx.actor.user_id))
        if ctx.role not in op_type.roles:
            raise Rejected("forbidden", op_type.refused or "Your role may not do this.")
    return op_type.handler


def _touch_feed(ctx: Context, op: Op, prepared: Prepared) -> None:
    """Put a record the merge inserted around the ORM in the change feed (written at commit,
    under the one feed sequence number, so the cursor's commit order holds)."""
    kind = OPS[op.type].feeds
    if kind is not None and prepared.estate_id is not None:
        feed.touch(ctx.session, kind, op.payload["id"], prepared.estate_id)
        for other, obj_id in prepared.touched:
            feed.touch(ctx.session, other, obj_id, prepared.estate_id)


def _quarantine(ctx: Context, raw: Any, exc: Rejected) -> dict:
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
                stored = session.execute(
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
                if not ctx.quarantined:
                    _alert_quarantined(ctx, stored.inserted_primary_key[0], raw, exc)
                ctx.quarantined += 1
        except IntegrityError:
            pass  # a concurrent push quarantined the same op
    result = {"op_id": op_id_text, "status": "rejected", "error": exc.error, "message": exc.message}
    if exc.fields:
        result["data"] = {"fields": exc.fields}
    return result


def _alert_quarantined(ctx: Context, quarantine_id: int, raw: Any, exc: Rejected) -> None:
    """The batch's first newly quarantined op is an alert to its estate's supervisors (the
    estate it named, else the sender's only one)."""
    estate_id = _estate_hint(ctx, raw)
    if estate_id is None and len(ctx.actor.estate_ids) == 1:
        estate_id = ctx.actor.estate_ids[0]
    detail = {"quarantine_id": quarantine_id, "error": exc.error, "device_id": ctx.actor.device_id}
    alerts.record(
        ctx.session,
        "op_quarantined",
        f"op_quarantined:{quarantine_id}",
        estate_id,
        ctx.now,
        detail,
    )


def _jsonable(raw: Any) -> Any:
    return json.loads(json.dumps(raw, default=str))


def _estate_hint(ctx: Context, raw: Any) -> int | None:
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
