"""Key custody as a pure rule: walk a key's events in device-time order.

A walk starts from the key's baseline (its status before its first synced event) and
counts the events that do not fit: a second lend with no return between, a return while
the key is in, a lend of a key issued to its owner. Any such event makes the key
``disputed``, its holder the latest lend by device time; when a later-arriving event makes
the history consistent the dispute clears by itself. An ``issue`` hands an owner key to its
owner (status ``issued``); a ``settle`` is a supervisor's resolution of a dispute: the events
before it stay, and custody starts again from the state the supervisor decided.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class Custody:
    status: str  # in | out | issued | disputed
    holder_name: str | None
    holder_type: str | None
    inconsistent: frozenset[str]  # ids of the events that do not fit


def walk(baseline: tuple[str, str | None, str | None], events: list[Event]) -> Custody:
    """Judge custody from a baseline ``(status, holder_name, holder_type)`` and events."""
    status, name, kind = baseline
    if status == "disputed":  # a baseline cannot be judged: start from the cabinet
        status, name, kind = "in", None, None
    bad: set[str] = set()
    latest_lend: Event | None = None
    for event in sorted(events, key=lambda e: (e.occurred_at, e.seq, e.id)):
        if event.action == "lend":
            latest_lend = event
            if status in ("out", "issued"):
                bad.add(event.id)
            status, name, kind = "out", event.borrower_name, event.borrower_type
        elif event.action == "issue":  # an owner key handed to its owner at move-in
            if status in ("out", "issued"):
                bad.add(event.id)
            status, name, kind = "issued", event.borrower_name, "owner"
        elif event.action == "settle":  # a supervisor resolved a dispute: start again from here
            bad.clear()
            latest_lend = None
            status = event.settled_status or "in"
            name, kind = (
                (None, None) if status == "in" else (event.borrower_name, event.borrower_type)
            )
        else:
            if status == "in":
                bad.add(event.id)
            status, name, kind = "in", None, None
    if bad:
        if latest_lend is not None:
            name, kind = latest_lend.borrower_name, latest_lend.borrower_type
        return Custody("disputed", name, kind, frozenset(bad))
    return Custody(status, name, kind, frozenset())
