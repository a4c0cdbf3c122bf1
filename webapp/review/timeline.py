"""One timeline per unit, key or sign: checks, findings and their steps, key loans, registry edits.

Registered as a provider of ``webapp.items.history``, so the item page (``/q/<code>``) shows
it under "History" beside the label codes. Each source reads the newest ``LIMIT`` rows
through an index on (item, time), so a unit with a year of patrols costs a few small reads.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from webapp import vocab
from webapp.i18n import is_english, term
from webapp.items.history import PROVIDERS, HistoryEntry
from webapp.models import AuditEvent, Key, shown_names
from webapp.models.review import FindingEvent, FindingState
from webapp.models.sync import Check, Finding, KeyEvent
from webapp.review.names import DEPARTMENT_NAMES, SEVERITY_NAMES, STATUS_NAMES

LIMIT = 100
RECORD_READERS = ("supervisor", "engineering", "admin")  # who opens a check's record page


def _result_name(result: str) -> str:
    return {"ok": _("all in order"), "issue": _("issue seen"), "no_access": _("no access")}.get(
        result, result
    )


def _unexplained(check) -> str:
    """A pick from a list with no reason given (an app older than the reason): flagged."""
    return _("No reason given") if check.method == "manual" and not check.manual_reason else ""


def _may_open(department: str | None) -> bool:
    role = getattr(current_user, "role", None)
    return role in ("supervisor", "admin") or (
        role == "engineering" and department == "engineering"
    )


def review_timeline(session: Session, item_type: str, item) -> list[HistoryEntry]:
    """Everything recorded about one unit, key or sign, newest first."""
    entries: list[HistoryEntry] = []
    checks = session.execute(
        sa.select(
            Check.occurred_at,
            Check.result,
            Check.note,
            Check.user_id,
            Check.method,
            Check.id,
            Check.manual_reason,
        )
        .where(Check.item_type == item_type, Check.item_id == item.id)
        .order_by(Check.occurred_at.desc())
        .limit(LIMIT)
    ).all()
    findings = session.execute(
        sa.select(Finding, FindingState.department)
        .outerjoin(FindingState, FindingState.finding_id == Finding.id)
        .where(Finding.item_type == item_type, Finding.item_id == item.id)
        .order_by(Finding.occurred_at.desc())
        .limit(LIMIT)
    ).all()
    steps = []
    if findings:
        steps = (
            session.execute(
                sa.select(FindingEvent)
                .where(FindingEvent.finding_id.in_([f.id for f, _d in findings]))
                .order_by(FindingEvent.at.desc())
                .limit(LIMIT)
            )
            .scalars()
            .all()
        )
    # A key's own custody events are the keys area's to show once it registers its provider.
    keys_area = any(fn.__module__ == "webapp.keys.history" for fn in PROVIDERS)
    key_ids = [item.id] if item_type == "key" and not keys_area else []
    if item_type == "unit":
        key_ids = list(session.scalars(sa.select(Key.id).where(Key.unit_id == item.id)))
    loans = []
    if key_ids:
        loans = session.execute(
            sa.select(KeyEvent, Key)
            .join(Key, Key.id == KeyEvent.key_id)
            .where(KeyEvent.key_id.in_(key_ids))
            .order_by(KeyEvent.occurred_at.desc())
            .limit(LIMIT)
        ).all()
    audits = session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.object_type == item_type, AuditEvent.object_id == str(item.id))
        .order_by(AuditEvent.at.desc())
        .limit(LIMIT)
    ).all()
    people = shown_names(
        session,
        [c.user_id for c in checks]
        + [f.user_id for f, _d in findings]
        + [s.actor_id for s in steps]
        + [e.user_id for e, _k in loans]
        + [a.actor_id for a in audits],
    )

    reads_records = getattr(current_user, "role", None) in RECORD_READERS
    for c in checks:
        entries.append(
            HistoryEntry(
                c.occurred_at,
                "check",
                _("Checked: %(result)s", result=_result_name(c.result)),
                " · ".join(
                    x for x in (people.get(c.user_id, ""), c.note or "", _unexplained(c)) if x
                ),
                url_for("records.check", check_id=c.id) if reads_records else None,
            )
        )
    by_id = {}
    for f, department in findings:
        by_id[f.id] = (f, department)
        entries.append(
            HistoryEntry(
                f.occurred_at,
                "finding",
                _(
                    "Finding reported: %(category)s (%(severity)s)",
                    category=term("finding_category", f.category),
                    severity=SEVERITY_NAMES.get(f.severity, f.severity),
                ),
                " · ".join(x for x in (people.get(f.user_id, ""), f.note) if x),
                url_for("review.finding", finding_id=f.id) if _may_open(department) else None,
            )
        )
    for s in steps:
        f, department = by_id[s.finding_id]
        category = term("finding_category", f.category)
        if s.kind == "transition":
            title = _(
                "Finding %(category)s: %(status)s",
                category=category,
                status=STATUS_NAMES.get(s.to_status, s.to_status),
            )
            if s.department:
                title += " → " + str(DEPARTMENT_NAMES.get(s.department, s.department))
        elif s.kind == "comment":
            title = _("Comment on finding %(category)s", category=category)
        else:
            title = _("Due date of finding %(category)s changed", category=category)
        entries.append(
            HistoryEntry(
                s.at,
                "finding-step",
                title,
                " · ".join(x for x in (people.get(s.actor_id, ""), s.body) if x),
                url_for("review.finding", finding_id=f.id) if _may_open(department) else None,
            )
        )
    for e, key in loans:
        what = key.label if item_type == "unit" else ""
        if e.action == "lend":
            title = _("Key lent to %(name)s", name=e.borrower_name or "?")
        else:
            title = _("Key returned")
        if e.inconsistent:
            title += " — " + _("disputed")
        entries.append(
            HistoryEntry(
                e.occurred_at,
                "key",
                title,
                " · ".join(x for x in (what, e.purpose or "", people.get(e.user_id, "")) if x),
            )
        )
    for a in audits:
        entries.append(
            HistoryEntry(
                a.at,
                "audit",
                _("Registry record changed: %(action)s", action=_registry_change(a)),
                people.get(a.actor_id, ""),
            )
        )
    return entries


def _registry_change(event: AuditEvent) -> str:
    """What a registry change did, in the reader's words: never its action's or fields' raw names
    (it read 「登記資料變更：unit.status」)."""
    verb = event.action.rsplit(".", 1)[-1]
    what = term("audit_action", verb) if verb in vocab.AUDIT_ACTIONS else _("changed")
    before, after = event.before or {}, event.after or {}
    if verb == "status" and "status" in after:
        old, new = term("unit_status", before.get("status")), term("unit_status", after["status"])
        details = [f"{old} → {new}"]
    elif verb == "update":
        changed = [name for name in after if before.get(name) != after[name]]
        details = [term("registry_field", n) for n in changed if n in vocab.REGISTRY_FIELDS]
    else:
        details = []
    if not details:
        return what
    joined = (", " if is_english() else "、").join(details)
    return _("%(what)s (%(details)s)", what=what, details=joined)
