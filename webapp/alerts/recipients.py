"""Who hears of an event: the people of its estate whose role can act on it, and whether what it
says is still true when a held alert's time comes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.models import Device, Estate, Key, User, user_estate
from webapp.models.jobs import AlertEvent
from webapp.models.review import FindingState
from webapp.scoping import people_of

SUPERVISORS = ("supervisor",)
# The roles that hear of each kind in the event's estate. A finding dispatched to a department
# goes to that department's people (DEPARTMENT_ROLES), not to the supervisor who dispatched it.
ROLES: dict[str, tuple[str, ...]] = {
    "critical_finding": SUPERVISORS,
    "major_violation": SUPERVISORS,
    "window_missed": SUPERVISORS,
    "key_overdue": ("supervisor", "frontdesk"),
    "key_disputed": ("supervisor", "frontdesk"),
    "refused_twice": SUPERVISORS,
    "op_quarantined": SUPERVISORS,
    "device_unsynced": SUPERVISORS,
    "finding_dispatched": (),
    "finding_overdue": SUPERVISORS,
    "notice_deadline": SUPERVISORS,
    "stop_work": SUPERVISORS,
    "key_chain_broken": SUPERVISORS,
    # A person's own (their digests): no role hears of them, only the person named.
    "digest_daily": (),
    "digest_weekly": (),
}
# Kinds addressed to one person: ``detail["user_id"]``.
PERSONAL = frozenset({"digest_daily", "digest_weekly"})
# The departments that are a role of the product; the others (cleaning, security, ...) have
# no users yet, so a dispatch to them alerts nobody.
DEPARTMENT_ROLES = {"engineering": "engineering"}
# The kinds that concern a finding's department too.
DEPARTMENT_KINDS = frozenset({"finding_dispatched", "finding_overdue"})
# Work not yet done: a finding in these statuses past its due date is overdue.
UNDONE = ("open", "dispatched", "reopened")
# One thing recorded in several estates, an event each (a phone, in each of its user's
# estates), names them all in its detail under this key: a person hears of it once.
SAME_IN = "estates"


def roles_for(event: AlertEvent) -> set[str]:
    """The roles that hear of this event in its estate."""
    roles = set(ROLES.get(event.kind, SUPERVISORS))
    department = (event.detail or {}).get("department")
    if event.kind in DEPARTMENT_KINDS and department in DEPARTMENT_ROLES:
        roles.add(DEPARTMENT_ROLES[department])
    return roles


def of(session: Session, event: AlertEvent) -> list[tuple[int, str | None]]:
    """(user id, language) of each person who hears of the event: active, of its estate (an
    active one; appointed to it or seeing every estate), in a role that acts on it — and, for a
    device holding unsynced records, the device's own user. An event of no estate reaches
    nobody; a person's own (a digest) reaches that person, while active."""
    if event.kind in PERSONAL:
        person = (event.detail or {}).get("user_id")
        return [
            tuple(row)
            for row in session.execute(
                sa.select(User.id, User.locale).where(User.id == person, User.active)
            )
        ]
    if event.estate_id is None:
        return []
    roles = roles_for(event)
    owner = (event.detail or {}).get("user_id") if event.kind == "device_unsynced" else None
    who = User.role.in_(sorted(roles))
    if isinstance(owner, int):
        who = sa.or_(who, User.id == owner)
    estate_active = sa.select(Estate.active).where(Estate.id == event.estate_id).scalar_subquery()
    query = (
        sa.select(User.id, User.locale)
        .where(User.id.in_(people_of([event.estate_id])), estate_active, User.active, who)
        .order_by(User.id)
    )
    heard = _heard_elsewhere(event)
    if heard is not None:
        query = query.where(User.id.not_in(heard))
    return [(user_id, locale) for user_id, locale in session.execute(query)]


def _heard_elsewhere(event: AlertEvent) -> sa.Select | None:
    """Who hears of the event's thing through another of its events: a person hears of a
    thing recorded in several estates (``SAME_IN``) through the first (lowest id) of them,
    active, they see — so once, however many of them they see, whichever event's fan-out runs
    first (each decides alone; no fan-out waits for another's deliveries)."""
    named = (event.detail or {}).get(SAME_IN)
    if not isinstance(named, list):
        return None
    earlier = sorted({e for e in named if isinstance(e, int) and e < event.estate_id})
    if not earlier:
        return None
    active = sa.select(Estate.id).where(Estate.id.in_(earlier), Estate.active)
    return sa.union(
        sa.select(user_estate.c.user_id).where(user_estate.c.estate_id.in_(active)),
        sa.select(User.id).where(User.all_estates, active.exists()),
    )


def may_hear(session: Session, event: AlertEvent, user: User | None) -> bool:
    """Whether the person may still hear of the event (active, still of its estate)."""
    return (
        user is not None
        and user.active
        and event.estate_id is not None
        and event.estate_id in user.estate_ids
        and (event.kind not in PERSONAL or (event.detail or {}).get("user_id") == user.id)
    )


def still_true(session: Session, event: AlertEvent, now: datetime) -> bool:
    """Whether a held alert (quiet hours, a person's later threshold) still says something
    true: the device has not synced since, the key is not back, the finding not done."""
    detail = event.detail or {}
    if event.kind == "device_unsynced":
        device = session.get(Device, detail.get("device_id"))
        return (
            device is not None
            and device.revoked_at is None
            and device.pending_count > 0
            and device.last_sync_at is not None
            and device.last_sync_at.isoformat() == detail.get("since")
        )
    if event.kind == "key_overdue":
        key = session.get(Key, detail.get("key_id"))
        return key is not None and key.status == "out" and key.last_event_id == detail.get("lend")
    if event.kind == "finding_overdue":
        state = session.get(FindingState, detail.get("finding_id"))
        return state is not None and state.status in UNDONE
    return True
