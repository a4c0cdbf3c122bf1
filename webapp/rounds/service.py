"""Rounds against the database: default templates, checklists, implausibly fast sequences;
coverage per window is ``windows.py``'s (re-exported here, where its callers look for it),
the rules themselves ``rules.py``'s.

Callers pass an estate they have already scoped; nothing here widens what a user sees.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from webapp.models import Estate, shown_names
from webapp.models.rounds import ChecklistVersion, RoundTemplate
from webapp.models.sync import Check
from webapp.rounds import defaults, rules
from webapp.rounds.windows import (
    Point,
    WindowCoverage,
    as_api,
    checkpoints_now,
    checkpoints_of,
    coverage,
    coverage_days,
    coverage_of,
    coverage_today,
    describe,
    trend,
)

__all__ = [
    "Point",
    "WindowCoverage",
    "as_api",
    "checkpoints_now",
    "checkpoints_of",
    "checklist",
    "coverage",
    "coverage_days",
    "coverage_of",
    "coverage_today",
    "describe",
    "ensure_defaults",
    "fast_sequences",
    "new_round",
    "save_checklist",
    "trend",
]


def ensure_defaults(session: Session, estate: Estate) -> list[RoundTemplate]:
    """Give an estate the default rounds (rounds.defaults) if it has none yet (caller commits)."""
    have = session.scalars(
        sa.select(RoundTemplate)
        .where(RoundTemplate.estate_id == estate.id)
        .order_by(RoundTemplate.id)
    ).all()
    if have:
        return list(have)
    made = [
        new_round(session, estate, kind, name, slots, defaults.ANCHOR, period_days=period)
        for kind, name, slots, period in defaults.ROUNDS
    ]
    session.flush()
    return made


def new_round(
    session: Session,
    estate: Estate,
    kind: str,
    name: str,
    slots: list[dict],
    anchor,
    *,
    period_days: int = 1,
    created_by_id: int | None = None,
) -> RoundTemplate:
    """A round of ``kind`` with version 1 of its default checklist (caller commits)."""
    template = RoundTemplate(
        estate_id=estate.id,
        kind=kind,
        name=name,
        slots=slots,
        period_days=period_days,
        anchor=anchor,
        items=[],
        checklist_version=1,
        active=True,
    )
    session.add(template)
    session.flush()
    session.add(
        ChecklistVersion(
            template_id=template.id,
            estate_id=estate.id,
            version=1,
            items=defaults.CHECKLISTS[kind],
            created_by_id=created_by_id,
        )
    )
    return template


def checklist(session: Session, template: RoundTemplate, version: int | None = None):
    """A version of a template's checklist (default: the current one)."""
    return session.scalar(
        sa.select(ChecklistVersion).where(
            ChecklistVersion.template_id == template.id,
            ChecklistVersion.version == (version or template.checklist_version),
        )
    )


def save_checklist(session: Session, template: RoundTemplate, items: list[dict], user_id=None):
    """Add a new checklist version; older versions stay for answers made on them."""
    version = (
        session.scalar(
            sa.select(sa.func.max(ChecklistVersion.version)).where(
                ChecklistVersion.template_id == template.id
            )
        )
        or 0
    ) + 1
    session.add(
        ChecklistVersion(
            template_id=template.id,
            estate_id=template.estate_id,
            version=version,
            items=items,
            created_by_id=user_id,
        )
    )
    template.checklist_version = version  # touches the template: phones pull it again
    session.flush()
    return version


def fast_sequences(session: Session, estate: Estate, lo: datetime, hi: datetime) -> list[dict]:
    """Checks by one person in an implausibly fast run, for the supervisor (rules.too_fast)."""
    rows = session.execute(
        sa.select(Check.user_id, Check.item_type, Check.item_id, Check.occurred_at, Check.method)
        .where(Check.estate_id == estate.id, Check.occurred_at >= lo, Check.occurred_at < hi)
        .order_by(Check.user_id, Check.occurred_at)
    ).all()
    by_user: dict[int, list[rules.Scan]] = defaultdict(list)
    for user_id, t, i, at, method in rows:
        by_user[user_id].append(rules.Scan(f"{t}:{i}", at, method))
    found = []
    for user_id, scans in by_user.items():
        for a, b in rules.too_fast(scans):
            found.append(
                {"user_id": user_id, "a": a, "b": b, "seconds": (b.at - a.at).total_seconds()}
            )
    if not found:
        return []
    names = shown_names(session, {f["user_id"] for f in found})
    refs = {tuple(s.checkpoint.split(":")) for f in found for s in (f["a"], f["b"])}
    described = describe(session, estate.id, {(t, int(i)) for t, i in refs})
    zone = ZoneInfo(estate.timezone)
    return [
        {
            "who": names.get(f["user_id"], ""),
            "at": f["a"].at.astimezone(zone),
            "seconds": int(f["seconds"]),
            "from": described.get(_ref(f["a"].checkpoint), Point("", 0)).label,
            "to": described.get(_ref(f["b"].checkpoint), Point("", 0)).label,
        }
        for f in found
    ]


def _ref(checkpoint: str) -> tuple:
    t, i = checkpoint.split(":")
    return (t, int(i))
