"""What may happen to an item held at the desk: pure rules, tested as tables.

Rule 8.4: the desk holds a parcel or a document for a resident only with a supervisor's
approval — the desk records the request, a supervisor approves or refuses. Mail and newspapers
the desk could not deliver (8.6) are held without asking: they are the desk's to deliver.
A supervisor who receives an item at the desk approves it by receiving it.
"""

from __future__ import annotations

from webapp.models.desk import OPEN_STATUSES

NEEDS_APPROVAL = frozenset({"parcel", "document", "other"})
APPROVERS = ("supervisor",)

# action -> {status before: status after}. Any open item may be closed: collected by the
# resident (whatever the supervisor has said so far) or returned to whoever brought it.
TRANSITIONS: dict[str, dict[str, str]] = {
    "approve": {"requested": "held"},
    "refuse": {"requested": "refused"},
    "collect": dict.fromkeys(OPEN_STATUSES, "collected"),
    "return": dict.fromkeys(OPEN_STATUSES, "returned"),
}


def first_status(kind: str, receiver_role: str) -> str:
    """The status an item is received in: awaiting approval unless it needs none, or a
    supervisor received it."""
    if kind in NEEDS_APPROVAL and receiver_role not in APPROVERS:
        return "requested"
    return "held"


def after(action: str, status: str) -> str | None:
    """The status ``action`` leaves an item of ``status`` in; None if it may not happen."""
    return TRANSITIONS[action].get(status)
