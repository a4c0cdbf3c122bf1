"""The Saturday report's week (docs/decisions.md 30): the rulebook's, Saturday to Friday, due
the Saturday after at 09:00, named by the ISO week of that Saturday — 2026-W20 is Saturday 9 May
to Friday 15 May 2026, due Saturday 16 May."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")


@dataclass(frozen=True)
class Week:
    """A report's week: Saturday ``first`` to Friday ``last``, due the Saturday after."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        """``2026-W20`` (ISO week of the Saturday the report is due); ValueError saying why."""
        match = _WEEK.match((text or "").strip().upper())
        if not match:
            raise ValueError("Give the week as YYYY-Www, for example 2026-W20.")
        year, number = int(match.group(1)), int(match.group(2))
        if not 2000 <= year <= 2100:
            raise ValueError("The week's year must be between 2000 and 2100.")
        try:
            date.fromisocalendar(year, number, 6)
        except ValueError:
            raise ValueError(f"{year} has no week {number}.") from None
        return cls(year, number)

    @classmethod
    def due_by(cls, today: date) -> Week:
        """The latest report due on or before ``today``: this week's on a Saturday or Sunday,
        else last week's."""
        saturday = today - timedelta(days=(today.weekday() - 5) % 7)
        year, number, _ = saturday.isocalendar()
        return cls(year, number)

    @property
    def due(self) -> date:
        return date.fromisocalendar(self.year, self.number, 6)

    @property
    def first(self) -> date:
        return self.due - timedelta(days=7)

    @property
    def last(self) -> date:
        return self.due - timedelta(days=1)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(7)]

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    def previous(self) -> Week:
        return Week.due_by(self.due - timedelta(days=7))

    def following(self) -> Week:
        return Week.due_by(self.due + timedelta(days=7))

    def as_json(self) -> dict:
        return {
            "label": self.label,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "due": self.due.isoformat(),
        }
