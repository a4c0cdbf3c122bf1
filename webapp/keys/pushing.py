"""The desk's online writes as ops: pushed through the same merge as the phones' (one rule for
both), as the logged-in user with no device. The caller owns the transaction.

A phone's push answers each op for itself (docs/sync-protocol.md): what was stored stays. A desk
action is one act of one person at the counter — a basket of keys lent to one borrower, an
owner's keys issued with one signature — so it is recorded whole or not at all
(``push_whole``): the first key the merge does not take as asked rolls the whole action back,
and the desk is told which key, with its form as it was."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import DataError, InterfaceError, OperationalError

from sync import merge
from webapp.extensions import db
from webapp.models.types import utcnow
from webapp.monitoring import request_id

log = logging.getLogger(__name__)


class NotRecorded(Exception):
    """A desk action's op the merge refused, answered otherwise than asked, or failed on: the
    whole action was rolled back. ``index`` is the op's (the key's) place in the action."""

    def __init__(self, index: int, status: str, http_status: int = 422):
        super().__init__(f"op {index}: {status}")
        self.index = index
        self.status = status  # the merge's answer, or "fault"
        self.http_status = http_status

    def message(self, label: str) -> str:
        """What the desk is told, beside the key."""
        if self.status == "conflict":
            return _(
                "%(key)s: this no longer agrees with the key's record (it changed as the desk"
                " recorded it), so nothing in this basket was recorded. Scan the basket again to"
                " see the key as it is now.",
                key=label,
            )
        if self.status == "fault":
            return _(
                "%(key)s could not be recorded (a fault on our side, logged as %(id)s), so"
                " nothing in this basket was recorded. Try again.",
                key=label,
                id=request_id.current() or "-",
            )
        return _(
            "%(key)s could not be recorded, so nothing in this basket was recorded. Check the"
            " key and try again; if it happens again, tell your supervisor.",
            key=label,
        )


def _bodies(op_type: str, payloads: list[dict]) -> list[dict]:
    occurred = datetime.now(utcnow().tzinfo).isoformat()
    return [
        {
            "op_id": str(uuid.uuid4()),
            "type": op_type,
            "occurred_at": occurred,
            "payload": {"id": str(uuid.uuid4()), **payload},
        }
        for payload in payloads
    ]


def _actor() -> merge.Actor:
    return merge.Actor(user_id=current_user.id, estate_ids=current_user.estate_ids, device_id=None)


def push_ops(op_type: str, payloads: list[dict]) -> list[dict]:
    """Push one op per payload (each given an id unless it names one), the merge's answer to
    each; the caller commits (or rolls back on an answer it does not take)."""
    return merge.push(db.session, _actor(), _bodies(op_type, payloads), utcnow())


def push_whole(
    op_type: str, payloads: list[dict], accept: Iterable[str] = ("applied",)
) -> list[dict]:
    """Push a desk action's ops, one per key, all or nothing: the first the merge answers
    otherwise than ``accept`` (refused; a conflict the desk's checks under the keys' locks
    should have kept out), or fails on, rolls back the request's transaction and raises
    NotRecorded naming it. The caller commits.

    The ops go one at a time, in the action's order, so a failure names its key; the keys'
    rows are already locked by the form's check, in the lock order, so nothing new is locked."""
    accept = frozenset(accept)
    actor, now = _actor(), utcnow()
    results = []
    for index, body in enumerate(_bodies(op_type, payloads)):
        try:
            (result,) = merge.push(db.session, actor, [body], now)
        except (OperationalError, InterfaceError):
            raise  # the database is busy or gone: a 503 that rolls back (webapp/errors.py)
        except DataError as exc:
            log.warning("desk %s: op %d: a value the database refused: %s", op_type, index, exc)
            db.session.rollback()
            raise NotRecorded(index, "data") from exc
        except Exception as exc:
            log.exception("desk %s: op %d failed; the action is rolled back", op_type, index)
            db.session.rollback()
            raise NotRecorded(index, "fault", 500) from exc
        if result["status"] not in accept:
            log.warning(
                "desk %s: op %d answered %s (%s); the action is rolled back",
                op_type,
                index,
                result["status"],
                result.get("error", ""),
            )
            db.session.rollback()
            raise NotRecorded(index, result["status"])
        results.append(result)
    return results
