"""The digests' sections, registered by the areas that know the numbers (a leaf: it imports
no area, so an area that adds a section — renovation's Saturday report — and the digests that
read the areas form no cycle).

A section has two halves: ``build`` reads its numbers for one estate and period (through the
area's own query functions, never copies of them) as plain JSON, stored on the digest; and
``tables`` turns those numbers into ``Table``s in the current language, which the page, the
email, the PDF and the workbook all draw (webapp/alerts/digest_sections.py has the daily
digest's and the weekly report's own; docs/alerts.md, "Adding a section")::

    @section("weekly", name="renovation")
    class Renovation:
        def build(session, user, estate, period): ...   # JSON-able dict, or None to leave out
        def tables(numbers): ...                        # [Table(...)] in the reader's language
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from webapp.models import Estate, User
from webapp.paper.records import day_bounds


@dataclass(frozen=True)
class Period:
    """What a digest reports on: the days ``first`` to ``last`` (estate calendar), and the
    open findings and keys as they stand at ``now``."""

    kind: str  # daily | weekly
    due: date  # the local date it is made on (its key's)
    first: date
    last: date
    now: datetime

    @classmethod
    def of(cls, kind: str, due: date, now: datetime) -> Period:
        """The daily digest: the day before ``due``; the weekly report: the seven days
        before (Saturday to Friday, for a report on Saturday)."""
        days = 1 if kind == "daily" else 7
        return cls(kind, due, due - timedelta(days=days), due - timedelta(days=1), now)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return day_bounds(self.first, self.last, zone)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass
class Table:
    """One table of a section as shown: a title, headings, plain cells (text or numbers);
    ``links`` a path per row (its first cell links there), ``marked`` rows drawn as bad (only
    their ``bad_column`` when given)."""

    name: str  # stable: the workbook's sheet gathers one name's tables over the estates
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)
    marked: list[bool] = field(default_factory=list)
    note: str = ""
    empty: str = ""  # said instead of a table without rows
    bad_column: int | None = None

    def bad(self, row: int, column: int) -> bool:
        """Whether a cell is drawn as bad (a marked row's; never its first, the label)."""
        if not self.marked or not self.marked[row] or column == 0:
            return False
        return self.bad_column is None or column == self.bad_column


@dataclass(frozen=True)
class Section:
    name: str
    build: Callable[[Session, User, Estate, Period], dict | None]
    tables: Callable[[dict], list[Table]]


DAILY: dict[str, Section] = {}
WEEKLY: dict[str, Section] = {}
REGISTRIES = {"daily": DAILY, "weekly": WEEKLY}


def section(*kinds: str, name: str | None = None):
    """Class decorator: register ``build`` and ``tables`` as a section of the digests of
    ``kinds`` ("daily", "weekly"), after the ones already there."""

    def register(cls):
        found = Section(name or cls.__name__.lower(), cls.build, cls.tables)
        for kind in kinds:
            REGISTRIES[kind][found.name] = found
        return cls

    return register


# ---- building and reading ---------------------------------------------------------------------


def build(session: Session, user: User, estates: list[Estate], period: Period) -> dict:
    """A digest's numbers: per estate (in id order), each section's, as stored."""
    registry = REGISTRIES[period.kind]
    out = {
        "kind": period.kind,
        "due": period.due.isoformat(),
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
        "now": period.now.isoformat(),
        "estates": [],
    }
    for estate in estates:
        sections = {}
        for found in registry.values():
            numbers = found.build(session, user, estate, period)
            if numbers is not None:
                sections[found.name] = numbers
        out["estates"].append(
            {"id": estate.id, "name": estate.name, "tz": estate.timezone, "sections": sections}
        )
    return out


def shown(data: dict, estate_ids) -> dict:
    """The digest with only the estates the reader still sees."""
    allowed = set(estate_ids)
    return {**data, "estates": [e for e in data.get("estates", []) if e["id"] in allowed]}


def tables_of(data: dict) -> list[tuple[dict, list[Table]]]:
    """Each estate of the digest with its tables in the current language (the registry's
    order; a section no longer registered is left out)."""
    registry = REGISTRIES.get(data.get("kind"), {})
    out = []
    for estate in data.get("estates", []):
        found = []
        for name, one in registry.items():
            numbers = estate["sections"].get(name)
            if numbers is not None:
                found += one.tables({**numbers, "estate_id": estate["id"], "tz": estate["tz"]})
        out.append((estate, found))
    return out
