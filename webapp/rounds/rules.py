"""The pure rules of rounds, with no Flask and no database: windows in an estate's timezone,
each checkpoint's coverage status, visits and implausibly fast sequences.

Times passed in are aware datetimes; windows are computed in the estate's zone (DST-safe via
zoneinfo) and returned in UTC-comparable aware datetimes carrying the estate's offset.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from webapp import vocab

DONE, LATE, MISSED, NO_ACCESS, PENDING = tuple(vocab.COVERAGE_STATUSES)
STATUSES = (DONE, LATE, MISSED, NO_ACCESS, PENDING)
VISIT_SECONDS = 60  # the same checkpoint again within a minute is one visit
FAST_SECONDS = 8  # two different checkpoints closer than this are implausibly fast


@dataclass(frozen=True)
class Schedule:
    """When a round runs: its slots, repeating every ``period_days`` from ``anchor``."""

    slots: tuple[tuple[str, str, int], ...]  # (start "HH:MM", end "HH:MM", extra days)
    period_days: int = 1
    anchor: date = date(2026, 1, 1)

    @classmethod
    def from_template(cls, template) -> Schedule:
        slots = tuple((s["start"], s["end"], int(s.get("days", 0))) for s in template.slots)
        return cls(slots, max(1, template.period_days), template.anchor)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


class Seen(NamedTuple):
    """One check as coverage sees it: its effective time and result (a tuple: a year of
    checks is read into these)."""

    at: datetime
    result: str  # ok | issue | no_access


def _hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def parse_hm(text: str) -> time | None:
    """'08:00' -> time, or None when it is not a valid HH:MM."""
    try:
        hours, minutes = text.strip().split(":")
        if len(minutes) != 2:
            return None
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def runs_on(schedule: Schedule, day: date) -> bool:
    return (day - schedule.anchor).days % schedule.period_days == 0


def windows_starting(schedule: Schedule, day: date, tz: str) -> list[Window]:
    """The windows that start on ``day`` (estate time), in start order."""
    if not runs_on(schedule, day):
        return []
    zone = ZoneInfo(tz)
    out = []
    for start_s, end_s, days in schedule.slots:
        start_t, end_t = _hm(start_s), _hm(end_s)
        end_day = day + timedelta(days=days)
        if days == 0 and end_t <= start_t:
            end_day += timedelta(days=1)  # crosses midnight
        start = datetime.combine(day, start_t, zone)
        end = datetime.combine(end_day, end_t, zone)
        out.append(Window(start, end))
    return sorted(out, key=lambda w: w.start)


def next_start(schedule: Schedule, window: Window, tz: str) -> datetime:
    """When the round's next window after ``window`` opens."""
    day = window.start.astimezone(ZoneInfo(tz)).date()
    for offset in range(0, schedule.period_days * 2 + 2):
        for w in windows_starting(schedule, day + timedelta(days=offset), tz):
            if w.start > window.start:
                return w.start
    return window.end  # a round without a later window: late never applies


def effective_time(occurred_at: datetime, received_at: datetime, clock_skewed: bool) -> datetime:
    """The time a check counts at: its device time, or its receipt time if the clock is flagged."""
    return received_at if clock_skewed else occurred_at


def status(window: Window, following: datetime, seen: Iterable[Seen], now: datetime) -> str:
    """A checkpoint's status for one window (as the coverage report gives it):

    done — ok/issue inside the window, however late it synced; no_access — the only checks
    inside say no_access; late — none inside, an ok/issue after the close and before the next
    window opens; missed — closed with none; pending — open or not begun, with none.
    """
    start, end = window.start, window.end
    seen = seen if isinstance(seen, (list, tuple)) else list(seen)
    inside = False  # plain loops: coverage calls this for every checkpoint of every window
    for s in seen:
        if start <= s.at < end:
            if s.result != NO_ACCESS:
                return DONE
            inside = True
    if inside:
        return NO_ACCESS
    if now < end:
        return PENDING
    for s in seen:
        if end <= s.at < following and s.result != NO_ACCESS:
            return LATE
    return MISSED


def status_sorted(
    times: Sequence[datetime],
    results: Sequence[str],
    window: Window,
    following: datetime,
    now: datetime,
) -> str:
    """``status`` for one checkpoint whose checks come as two parallel lists sorted by time
    (coverage's form): the checks that matter are found by bisecting, not by scanning them
    all. Same answers as ``status`` (tested against it on random checks)."""
    return decide_sorted(times, results, window, following, now)[0]


def decide_sorted(
    times: Sequence[datetime],
    results: Sequence[str],
    window: Window,
    following: datetime,
    now: datetime,
) -> tuple[str, int | None]:
    """``status_sorted`` and the index of the check that decided it (None for missed and
    pending): the first ok/issue inside the window, else the first check inside (no access),
    else the first ok/issue after the close (late) — the check a grid cell opens
    (``records.cell`` picks the same one)."""
    lo = bisect_left(times, window.start)
    mid = bisect_left(times, window.end, lo)
    if mid > lo:  # checks inside the window
        for k in range(lo, mid):
            if results[k] != NO_ACCESS:
                return DONE, k
        return NO_ACCESS, lo
    if now < window.end:
        return PENDING, None
    # Nothing inside: the checks from the close on start at mid.
    for k in range(mid, bisect_left(times, following, mid) if following > window.end else mid):
        if results[k] != NO_ACCESS:
            return LATE, k
    return MISSED, None


@dataclass(frozen=True)
class Scan:
    """A check in the order a patroller made it."""

    checkpoint: str
    at: datetime
    method: str = "scan"


def visits(scans: Sequence[Scan]) -> list[Scan]:
    """Scans folded into visits: the same checkpoint again within a minute is one visit."""
    out: list[Scan] = []
    last_at: dict[str, datetime] = {}
    for scan in sorted(scans, key=lambda s: s.at):
        prev = last_at.get(scan.checkpoint)
        last_at[scan.checkpoint] = scan.at
        if prev is not None and (scan.at - prev).total_seconds() < VISIT_SECONDS:
            continue
        out.append(scan)
    return out


def too_fast(scans: Sequence[Scan], seconds: float = FAST_SECONDS) -> list[tuple[Scan, Scan]]:
    """Consecutive scans of different checkpoints closer than ``seconds`` (measured from the
    last scan of the one before): for the supervisor."""
    seq = sorted(scans, key=lambda s: s.at)
    return [
        (a, b)
        for a, b in zip(seq, seq[1:], strict=False)
        if a.checkpoint != b.checkpoint and (b.at - a.at).total_seconds() < seconds
    ]
