"""Tamper evidence for key events: each event carries the hash of the one before it.

The chain runs per key, in arrival order (``seq``), because the merge already holds the key's
row lock while it appends: two pushes can never both link to the same predecessor. The key's
baseline keeps the head of the chain (its last hash and seq), so deleting the newest event is
caught as surely as deleting or editing one in the middle.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64

# The columns an event is sealed over: everything set once when it arrives. ``inconsistent``
# is left out on purpose: it is recomputed as later events arrive.
SEALED = (
    "id",
    "op_id",
    "estate_id",
    "key_id",
    "action",
    "borrower_name",
    "borrower_type",
    "purpose",
    "due_back",
    "occurred_at",
    "received_at",
    "user_id",
    "device_id",
    "clock_skewed",
    "retired_code",
    "conflict",
    "unapproved",
    "id_checked",
    "settled_status",
    "seq",
    "prev_hash",
)


# Sealed too, but only when set: the owner's ID check of an issue (added later). An event
# without them keeps the hash it was sealed with; setting one afterwards breaks the link.
SEALED_IF_SET = ("id_type", "id_last4")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def seal(event: Any) -> str:
    """The sha256 of an event's sealed columns (``prev_hash`` included)."""
    doc = {name: _plain(getattr(event, name, None)) for name in SEALED}
    for name in SEALED_IF_SET:
        value = getattr(event, name, None)
        if value is not None:
            doc[name] = value
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first link that does not hold."""

    key_id: int
    event_id: str | None
    seq: int | None
    reason: str

    def describe(self) -> str:
        where = f"key {self.key_id}"
        if self.event_id is not None:
            where += f", event {self.event_id} (seq {self.seq})"
        return f"{where}: {self.reason}"


def verify_key(
    key_id: int, events: list[Any], head_hash: str | None, head_seq: int
) -> Break | None:
    """Check one key's events (any order) against each other and the head kept on the baseline."""
    ordered = sorted(events, key=lambda e: e.seq)
    prev = GENESIS
    expected_seq = 1
    for event in ordered:
        if event.seq != expected_seq:
            return Break(
                key_id, event.id, event.seq, f"seq {expected_seq} is missing (a deleted event)"
            )
        if event.prev_hash != prev:
            return Break(key_id, event.id, event.seq, "does not link to the event before it")
        if seal(event) != event.hash:
            return Break(key_id, event.id, event.seq, "its content does not match its hash")
        prev = event.hash
        expected_seq += 1
    if (head_hash or GENESIS) != prev or head_seq != expected_seq - 1:
        return Break(
            key_id,
            None,
            None,
            f"the chain ends at seq {expected_seq - 1} but the head says seq {head_seq}"
            " (the newest event was deleted or the head was changed)",
        )
    return None
