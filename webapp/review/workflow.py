"""The findings workflow: which move is allowed from where, to whom, and what it writes.

open → dispatched (to a department) → fixed → reinspected → closed; fixed, reinspected and
closed may be reopened, and a reopened finding is dispatched again (or closed). Supervisors
make every move in their estates; engineering marks fixed what is dispatched to engineering;
everyone who may see a finding may comment on it, except admins (who read only).
Every move writes the finding's status, its ``FindingState`` (with a copy of the status), one
``FindingEvent`` and one audit event, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from sync import feed
from webapp import alert_events as events
from webapp.models.audit import record
from webapp.models.review import DEPARTMENTS, FindingEvent, FindingState
from webapp.models.sync import Finding
from webapp.models.types import utcnow
from webapp.text import too_long, trim

MAX_TEXT = 4000  # a comment, a move's note: refused when longer, never cut

# status -> the statuses it may move to
MOVES: dict[str, tuple[str, ...]] = {
    "open": ("dispatched", "closed"),
    "dispatched": ("fixed", "dispatched", "closed"),
    "fixed": ("reinspected", "reopened"),
    "reinspected": ("closed", "reopened"),
    "closed": ("reopened",),
    "reopened": ("dispatched", "closed"),
}
# Roles that see findings on the desktop, and what each may do.
VIEW_ROLES = ("supervisor", "engineering", "admin")


class WorkflowError(ValueError):
    """A move that is not allowed from here, or that lacks what it needs."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Change:
    """What a move changed, for the caller to report."""

    finding_id: str
    from_status: str
    to_status: str


def state_of(session: Session, finding: Finding) -> FindingState:
    """The finding's desk state, made on first use."""
    state = session.get(FindingState, finding.id)
    if state is None:
        state = FindingState(
            finding_id=finding.id, estate_id=finding.estate_id, status=finding.status
        )
        session.add(state)
    return state


def department_of(session: Session, finding: Finding) -> str | None:
    state = session.get(FindingState, finding.id)
    return state.department if state else None


def can_view(user, session: Session, finding: Finding) -> bool:
    """May this user (already known to share the finding's estate) see it?"""
    if user.role in ("supervisor", "admin"):
        return True
    if user.role == "engineering":
        return department_of(session, finding) == "engineering"
    return False


def allowed_moves(user, session: Session, finding: Finding) -> tuple[str, ...]:
    """The statuses this user may move this finding to, from where it stands."""
    moves = MOVES.get(finding.status, ())
    if user.role == "supervisor":
        return moves
    if user.role == "engineering" and department_of(session, finding) == "engineering":
        return tuple(m for m in moves if m == "fixed")
    return ()


def can_comment(user, session: Session, finding: Finding) -> bool:
    return user.role in ("supervisor", "engineering") and can_view(user, session, finding)


def _feed(session: Session, finding: Finding) -> None:
    # Phones learn of the new status on their next pull.
    feed.touch(session, "finding", finding.id, finding.estate_id)


def move(
    session: Session,
    user,
    finding: Finding,
    to: str,
    *,
    department: str | None = None,
    due_at: datetime | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Change:
    """Move a finding to status ``to`` as ``user``; raises WorkflowError if not allowed."""
    now = now or utcnow()
    if to not in allowed_moves(user, session, finding):
        raise WorkflowError("to", _l("This move is not allowed from the finding's current status."))
    note = trim(note or "")
    if too_long(note, MAX_TEXT):
        raise WorkflowError("note", _l("A note has at most 4,000 characters."))
    state = state_of(session, finding)
    if to == "dispatched":
        if department not in DEPARTMENTS:
            raise WorkflowError("department", _l("Choose the department to dispatch to."))
    else:
        department = None
    before = {
        "status": finding.status,
        "department": state.department,
        "due_at": _iso(state.due_at),
    }
    from_status = finding.status
    finding.status = to
    state.status = to
    if department:
        state.department = department
    if due_at is not None:
        state.due_at = due_at
    state.updated_at = now
    state.updated_by_id = user.id
    step = FindingEvent(
        finding_id=finding.id,
        estate_id=finding.estate_id,
        at=now,
        actor_id=user.id,
        kind="transition",
        from_status=from_status,
        to_status=to,
        department=department,
        due_at=due_at,
        body=note,
    )
    session.add(step)
    if to == "dispatched":  # the department's people hear of it (webapp/alerts)
        session.flush()
        events.record(
            session,
            "finding_dispatched",
            f"finding_dispatched:{finding.id}:{step.id}",
            occurred_at=now,
            estate_id=finding.estate_id,
            detail={"finding_id": finding.id, "department": department},
        )
    after = {"status": to, "department": state.department, "due_at": _iso(state.due_at)}
    record(session, f"finding.{to}", finding, actor=user, before=before, after=after)
    _feed(session, finding)
    return Change(finding.id, from_status, to)


def comment(session: Session, user, finding: Finding, body: str, now: datetime | None = None):
    """Add a comment to a finding; raises WorkflowError if empty or not allowed."""
    body = trim(body or "")
    if not can_comment(user, session, finding):
        raise WorkflowError("body", _l("You may not comment on this finding."))
    if not body:
        raise WorkflowError("body", _l("Write a comment first."))
    if too_long(body, MAX_TEXT):
        raise WorkflowError("body", _l("A comment has at most 4,000 characters."))
    event = FindingEvent(
        finding_id=finding.id,
        estate_id=finding.estate_id,
        at=now or utcnow(),
        actor_id=user.id,
        kind="comment",
        body=body,
    )
    session.add(event)
    record(session, "finding.comment", finding, actor=user, after={"body": body})
    return event


def set_due(session: Session, user, finding: Finding, due_at: datetime | None, now=None):
    """Set or clear a finding's due date (supervisors only)."""
    if user.role != "supervisor":
        raise WorkflowError("due", _l("Only a supervisor sets due dates."))
    state = state_of(session, finding)
    before = {"due_at": _iso(state.due_at)}
    state.due_at = due_at
    state.updated_at = now or utcnow()
    state.updated_by_id = user.id
    session.add(
        FindingEvent(
            finding_id=finding.id,
            estate_id=finding.estate_id,
            at=now or utcnow(),
            actor_id=user.id,
            kind="due",
            due_at=due_at,
        )
    )
    record(
        session, "finding.due", finding, actor=user, before=before, after={"due_at": _iso(due_at)}
    )
    _feed(session, finding)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
