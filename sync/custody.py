"""Key custody as a pure rule: walk a key's events in device-time order.

A walk starts from the key's baseline (its status before its first synced event) and
counts the events that do not fit: a second lend with no return between, a return while
the key is in, a lend of a key issued to its owner. Any such event makes the key
``disputed``, its holder the latest lend by device time; when a later-arriving event makes
the history consistent the dispute clears by itself. An ``issue`` hands an owner key to its
owner (status ``issued``); a ``settle`` is a supervisor's resolution of a dispute: the events
before it stay, and custody starts again from the state the supervisor decided.

The walk also says when the key is due back and which events are one loan on the paper
register (a lend, an issue or a resolution that left the key with someone, and the return that
ended it: ``pairs``). A second lend while the key is out keeps the earlier due-back time if it
is earlier: the first borrower has not brought the key back, so a disputed key stays overdue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Event:
    id: str
    action: str  # "lend" | "return"
    occurred_at: datetime
    seq: int  # arrival order: breaks ties between equal device times
    borrower_name: str | None = None
    borrower_type: str | None = None
    settled_status: str | None = None  # "settle": the state a supervisor decided
    due_back: datetime | None = None  # "lend": when the borrower said it comes back


@dataclass(frozen=True)
class Custody:
    status: str  # in | out | issued | disputed
    holder_name: str | None
    holder_type: str | None
    inconsistent: frozenset[str]  # ids of the events that do not fit
    due_back: datetime | None = None  # held keys: the earliest due back not yet returned
    # One loan of the paper register: the event that left the key with someone and the
    # return that ended it, each id mapped to the other's.
    pairs: dict[str, str] = field(default_factory=dict)


def walk(baseline: tuple[str, str | None, str | None], events: list[Event]) -> Custody:
    """Judge custody from a baseline ``(status, holder_name, holder_type)`` and events."""
    status, name, kind = baseline
    if status == "disputed":  # a baseline cannot be judged: start from the cabinet
        status, name, kind = "in", None, None
    bad: set[str] = set()
    latest_lend: Event | None = None
    due: datetime | None = None
    holding: Event | None = None  # the event the key is held under, its return to pair
    pairs: dict[str, str] = {}
    for event in sorted(events, key=lambda e: (e.occurred_at, e.seq, e.id)):
        if event.action == "lend":
            latest_lend = event
            if status in ("out", "issued"):
                bad.add(event.id)
                due = _earlier(due, event.due_back) if status == "out" else event.due_back
            else:
                due = event.due_back
            status, name, kind = "out", event.borrower_name, event.borrower_type
            holding = event
        elif event.action == "issue":  # an owner key handed to its owner at move-in
            if status in ("out", "issued"):
                bad.add(event.id)
            status, name, kind = "issued", event.borrower_name, "owner"
            holding, due = event, None
        elif event.action == "settle":  # a supervisor resolved a dispute: start again from here
            bad.clear()
            latest_lend = None
            status = event.settled_status or "in"
            name, kind = (
                (None, None) if status == "in" else (event.borrower_name, event.borrower_type)
            )
            holding, due = (None if status == "in" else event), None
        else:
            if status == "in":
                bad.add(event.id)
            elif holding is not None:
                pairs[holding.id], pairs[event.id] = event.id, holding.id
            status, name, kind = "in", None, None
            holding, due = None, None
    if bad:
        if latest_lend is not None:
            name, kind = latest_lend.borrower_name, latest_lend.borrower_type
        return Custody("disputed", name, kind, frozenset(bad), due, pairs)
    return Custody(status, name, kind, frozenset(), due, pairs)


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)
