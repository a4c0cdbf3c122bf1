"""The review queries: the findings list with its filters, its rows and its counts.

Each starts from ``webapp.scoping`` so nothing of another estate is read; docs/review.md
explains the indexes they lean on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm
from flask_login import current_user
from sqlalchemy.orm import joinedload

from webapp import vocab
from webapp.extensions import db
from webapp.forms import strict_args
from webapp.models import Estate, Key, Sign, Unit
from webapp.models.review import (
    OPEN_STATUSES,
    FindingState,
)
from webapp.models.sync import Finding
from webapp.models.types import utcnow
from webapp.review.forms import FindingFilters
from webapp.scoping import scoped, visible_estate_ids

PAGE = 50


@dataclass
class Filters:
    """The findings list's filters, as read from the query string (``from_args``)."""

    estate: int | None = None
    status: str = "active"  # active (not closed) | all | one of STATUSES
    severity: str = ""
    department: str = ""  # "" | "none" | one of DEPARTMENTS
    category: str = ""
    overdue: bool = False
    q: str = ""
    page: int = 1
    errors: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, args, **defaults) -> Filters:
        """Read the filters from the query string (a 400 for what does not fit; another
        estate's is 404), ``defaults`` for those not sent."""
        return cls(**strict_args(FindingFilters, args, **defaults))

    def args(self, **override) -> dict:
        """The filters as query arguments (for links, exports and the next page)."""
        out = {
            "estate": self.estate,
            "status": self.status if self.status != "active" else None,
            "severity": self.severity or None,
            "department": self.department or None,
            "category": self.category or None,
            "overdue": "1" if self.overdue else None,
            "q": self.q or None,
            "page": self.page if self.page > 1 else None,
        }
        out.update(override)
        return {k: v for k, v in out.items() if v is not None}


def findings_query(filters: Filters, user, now: datetime | None = None) -> sa.Select:
    """Findings of the user's estates matching the filters, newest first, with desk state."""
    now = now or utcnow()
    query = (
        scoped(Finding, user)
        .add_columns(FindingState.department, FindingState.due_at)
        .outerjoin(FindingState, FindingState.finding_id == Finding.id)
    )
    if user.role == "engineering":
        query = query.where(FindingState.department == "engineering")
    query = _narrowed(query, filters)
    if filters.department == "none":
        query = query.where(FindingState.department.is_(None))
    elif filters.department:
        query = query.where(FindingState.department == filters.department)
    if filters.overdue:
        query = query.where(FindingState.due_at < now, Finding.status.in_(OPEN_STATUSES))
    return query.order_by(Finding.occurred_at.desc(), Finding.id.desc())


@dataclass
class Row:
    """One line of the findings list, as the screen and the exports show it."""

    finding: Finding
    department: str | None
    due_at: datetime | None
    place: str
    estate: str
    overdue: bool


def rows_for(
    results, now: datetime | None = None, names: dict[int, str] | None = None
) -> list[Row]:
    """Attach each finding's place label and estate name (a few batched reads; the names read
    only when the caller has not read them already)."""
    now = now or utcnow()
    results = list(results)
    findings = [r[0] for r in results]
    labels = item_labels([(f.item_type, f.item_id) for f in findings if f.item_type])
    wanted = {f.estate_id for f in findings} - set(names or {})
    estates = dict(names or {})
    if wanted:
        estates |= dict(
            db.session.execute(sa.select(Estate.id, Estate.name).where(Estate.id.in_(wanted))).all()
        )
    out = []
    for finding, department, due_at in results:
        place = labels.get((finding.item_type, finding.item_id)) or finding.location or ""
        out.append(
            Row(
                finding=finding,
                department=department,
                due_at=due_at,
                place=place,
                estate=estates.get(finding.estate_id, ""),
                overdue=bool(due_at and due_at < now and finding.status in OPEN_STATUSES),
            )
        )
    return out


# What each kind's label reads, loaded with it: a unit's building; a key's unit (and its
# building) or its floor's building.
_LABEL_LOADS = {
    "unit": (Unit, (joinedload(Unit.building),)),
    "key": (Key, (joinedload(Key.unit).joinedload(Unit.building), joinedload(Key.building))),
    "sign": (Sign, ()),
}


def item_labels(pairs) -> dict[tuple[str, int], str]:
    """Display labels of units, keys and signs, read in one query per kind."""
    wanted: dict[str, set[int]] = {}
    for kind, ident in pairs:
        wanted.setdefault(kind, set()).add(ident)
    out: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        if kind not in _LABEL_LOADS:
            continue
        model, loads = _LABEL_LOADS[kind]
        for obj in db.session.scalars(sa.select(model).options(*loads).where(model.id.in_(ids))):
            out[(kind, obj.id)] = obj.label
    return out


def count_query(filters: Filters, user) -> sa.Select:
    """How many findings the filters select. The desk-state join is 1:1 (its primary key is the
    finding's), so unless a filter reads it the count leaves it out and is answered from
    ``ix_finding_estate_status_time`` alone."""
    if user.role == "engineering" or filters.department or filters.overdue:
        query = findings_query(filters, user).order_by(None)
        return sa.select(sa.func.count()).select_from(query.subquery())
    query = scoped(Finding, user).with_only_columns(sa.func.count(Finding.id))
    return _narrowed(query, filters)


def _narrowed(query: sa.Select, filters: Filters) -> sa.Select:
    """The filters on the finding itself (estate, status, severity, category, words), which the
    list and its count share; the desk-state ones (department, overdue) are the list's."""
    if filters.estate is not None:
        query = query.where(Finding.estate_id == filters.estate)
    if filters.status == "active":
        query = query.where(Finding.status.in_(OPEN_STATUSES))
    elif filters.status != "all":
        query = query.where(Finding.status == filters.status)
    if filters.severity:
        query = query.where(Finding.severity == filters.severity)
    if filters.category:
        query = query.where(Finding.category == filters.category)
    if filters.q:
        query = query.where(_words(filters.q))
    return query


def _words(q: str):
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return sa.or_(
        Finding.note.ilike(like, escape="\\"),
        Finding.location.ilike(like, escape="\\"),
        Finding.category.ilike(like, escape="\\"),
    )


def page_of(filters: Filters, user) -> tuple[list[Row], bool, int]:
    """One page of the list: its rows, whether there is a next page, and the total."""
    query = findings_query(filters, user)
    total = db.session.scalar(count_query(filters, user))
    results = db.session.execute(query.offset((filters.page - 1) * PAGE).limit(PAGE + 1)).all()
    return rows_for(results[:PAGE]), len(results) > PAGE, int(total or 0)


def category_choices() -> list[str]:
    """The categories the reader's findings list filters by: the vocabulary's, then any other
    their findings are filed under (a custom round's checklist names its own). The stored ones
    are a DISTINCT over every finding of the estates, kept like the dashboard (30 s, dropped
    when a finding of these estates is written)."""
    from webapp.review import cache  # the cache's dashboard reads this module's rows

    estates = visible_estate_ids()
    stored = cache.memo(
        ("categories", tuple(sorted(estates)), current_user.role),
        estates,
        lambda: categories(current_user),
    )
    return [*vocab.FINDING_CATEGORIES, *(c for c in stored if c not in vocab.FINDING_CATEGORIES)]


def categories(user) -> list[str]:
    """Every category the user's findings are filed under, sorted."""
    return list(
        db.session.scalars(
            scoped(Finding, user)
            .with_only_columns(Finding.category)
            .distinct()
            .order_by(Finding.category)
        )
    )
