"""The pure round rules as tables: windows, timezones, coverage status, visits, fast scans."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from webapp.rounds.rules import (
    Scan,
    Schedule,
    Seen,
    Window,
    decide_sorted,
    effective_time,
    next_start,
    status,
    status_sorted,
    too_fast,
    visits,
    windows_starting,
)

TZ = "Asia/Taipei"  # UTC+8, no DST
SIGNAGE = Schedule((("08:00", "12:00", 0), ("14:00", "18:00", 0)))
NIGHT = Schedule((("22:00", "02:00", 0),))
VACANT = Schedule((("00:00", "00:00", 7),), period_days=7, anchor=date(2026, 11, 2))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("schedule", "day", "tz", "expected"),
    [
        (
            SIGNAGE,
            date(2026, 11, 27),
            TZ,
            [
                ("2026-11-27T08:00:00+08:00", "2026-11-27T12:00:00+08:00"),
                ("2026-11-27T14:00:00+08:00", "2026-11-27T18:00:00+08:00"),
            ],
        ),
        # around midnight: the end falls on the next day
        (
            NIGHT,
            date(2026, 11, 27),
            TZ,
            [("2026-11-27T22:00:00+08:00", "2026-11-28T02:00:00+08:00")],
        ),
        # every 7 days from the anchor: a week-long window on the anchor's weekday only
        (
            VACANT,
            date(2026, 11, 30),
            TZ,
            [("2026-11-30T00:00:00+08:00", "2026-12-07T00:00:00+08:00")],
        ),
        (VACANT, date(2026, 11, 27), TZ, []),
        # a DST zone: 08:00 local is 12:00 UTC in summer and 13:00 UTC in winter
        (
            Schedule((("08:00", "12:00", 0),)),
            date(2026, 7, 1),
            "America/New_York",
            [("2026-07-01T08:00:00-04:00", "2026-07-01T12:00:00-04:00")],
        ),
        (
            Schedule((("08:00", "12:00", 0),)),
            date(2026, 12, 1),
            "America/New_York",
            [("2026-12-01T08:00:00-05:00", "2026-12-01T12:00:00-05:00")],
        ),
    ],
)
def test_windows_starting_on_a_day(schedule, day, tz, expected):
    """Which windows start on a given estate day, with which offsets, across midnight and DST?"""
    got = [(w.start.isoformat(), w.end.isoformat()) for w in windows_starting(schedule, day, tz)]
    assert got == expected


@pytest.mark.parametrize(
    ("schedule", "start", "expected"),
    [
        (SIGNAGE, "2026-11-27T08:00:00+08:00", "2026-11-27T14:00:00+08:00"),
        (SIGNAGE, "2026-11-27T14:00:00+08:00", "2026-11-28T08:00:00+08:00"),
        (NIGHT, "2026-11-27T22:00:00+08:00", "2026-11-28T22:00:00+08:00"),
        (VACANT, "2026-11-30T00:00:00+08:00", "2026-12-07T00:00:00+08:00"),
    ],
)
def test_next_window_opens(schedule, start, expected):
    """When does the round's next window open after this one?"""
    window = next(
        w
        for w in windows_starting(schedule, datetime.fromisoformat(start).date(), TZ)
        if w.start == datetime.fromisoformat(start)
    )
    assert next_start(schedule, window, TZ) == datetime.fromisoformat(expected)


MORNING = Window(utc("2026-11-27T08:00:00+08:00"), utc("2026-11-27T12:00:00+08:00"))
NEXT = utc("2026-11-27T14:00:00+08:00")
DURING = utc("2026-11-27T10:00:00+08:00")
EVENING = utc("2026-11-27T20:00:00+08:00")


def at(hm: str) -> datetime:
    return utc(f"2026-11-27T{hm}:00+08:00")


@pytest.mark.parametrize(
    ("case", "seen", "now", "expected"),
    [
        ("nothing yet, window open", [], DURING, "pending"),
        ("nothing, window not begun", [], at("07:00"), "pending"),
        ("ok inside", [Seen(at("09:00"), "ok")], EVENING, "done"),
        ("issue inside counts as done", [Seen(at("11:59"), "issue")], EVENING, "done"),
        ("on the window's close: not inside", [Seen(at("12:00"), "ok")], EVENING, "late"),
        ("after close, before next opens", [Seen(at("13:30"), "ok")], EVENING, "late"),
        ("after the next window opened", [Seen(at("14:05"), "ok")], EVENING, "missed"),
        ("no access only", [Seen(at("09:00"), "no_access")], EVENING, "no_access"),
        (
            "no access, then ok inside",
            [Seen(at("09:00"), "no_access"), Seen(at("10:00"), "ok")],
            EVENING,
            "done",
        ),
        ("no access while still open", [Seen(at("09:00"), "no_access")], DURING, "no_access"),
        ("no access after close only", [Seen(at("13:00"), "no_access")], EVENING, "missed"),
        ("closed with none", [], EVENING, "missed"),
        ("before the window only", [Seen(at("07:30"), "ok")], EVENING, "missed"),
    ],
)
def test_checkpoint_status(case, seen, now, expected):
    """Which status does a checkpoint get for a window, given its checks and the time now?"""
    assert status(MORNING, NEXT, seen, now) == expected, case
    ordered = sorted(seen, key=lambda x: x.at)
    times, results = [x.at for x in ordered], [x.result for x in ordered]
    assert status_sorted(times, results, MORNING, NEXT, now) == expected, case


def test_the_bisecting_status_agrees_with_the_plain_one():
    """Does coverage's bisecting status give the plain rule's answer on many random cases,
    windows followed closely, late, or overlapping (the next one opening before the close)?"""
    import random

    rng = random.Random(8)
    base = utc("2026-11-27T00:00:00+08:00")
    minute = timedelta(minutes=1)
    for _ in range(3000):
        start = base + rng.randrange(0, 600) * minute
        window = Window(start, start + rng.randrange(1, 600) * minute)
        following = window.start + rng.randrange(1, 1200) * minute
        seen = [
            Seen(base + rng.randrange(-60, 1800) * minute, rng.choice(["ok", "issue", "no_access"]))
            for _ in range(rng.randrange(0, 6))
        ]
        now = base + rng.randrange(0, 1800) * minute
        ordered = sorted(seen, key=lambda x: x.at)
        times, results = [x.at for x in ordered], [x.result for x in ordered]
        expected = status(window, following, seen, now)
        assert status_sorted(times, results, window, following, now) == expected, (
            window,
            following,
            seen,
            now,
        )


def _cell_pick(times, results, window, following) -> int | None:
    """The check a grid cell opens, as records.cell picks it: the first ok/issue inside, else
    the first check inside, else the first ok/issue after the close until the next window."""
    inside = [k for k, t in enumerate(times) if window.start <= t < window.end]
    after = [
        k
        for k, t in enumerate(times)
        if window.end <= t < max(following, window.end) and results[k] != "no_access"
    ]
    chosen = next((k for k in inside if results[k] != "no_access"), None)
    if chosen is None and inside:
        chosen = inside[0]
    return chosen if chosen is not None else (after[0] if after else None)


def test_the_deciding_check_is_the_one_the_cell_opens():
    """Does the check that decides a cell's status (whose method the grid marks) agree with
    the one the cell's link opens, on many random cases, and none for missed or pending?"""
    import random

    rng = random.Random(18)
    base = utc("2026-11-27T00:00:00+08:00")
    minute = timedelta(minutes=1)
    for _ in range(3000):
        start = base + rng.randrange(0, 600) * minute
        window = Window(start, start + rng.randrange(1, 600) * minute)
        following = window.start + rng.randrange(1, 1200) * minute
        times = sorted(base + rng.randrange(-60, 1800) * minute for _ in range(rng.randrange(6)))
        results = [rng.choice(["ok", "issue", "no_access"]) for _ in times]
        now = base + rng.randrange(0, 1800) * minute
        decided, k = decide_sorted(times, results, window, following, now)
        assert decided == status_sorted(times, results, window, following, now)
        if decided in ("missed", "pending"):
            assert k is None
        else:
            assert k == _cell_pick(times, results, window, following), (window, times, results)


@pytest.mark.parametrize(
    ("case", "occurred", "received", "skewed", "expected"),
    [
        # made on time, synced six hours later: the device time counts -> done
        ("synced hours later", at("09:00"), at("15:00"), False, "done"),
        # a flagged clock claims 09:00 but arrived at 13:00: receipt time counts -> late
        ("flagged clock", at("09:00"), at("13:00"), True, "late"),
        # a flagged clock that claims 20:00 but arrived during the window -> done
        ("flagged clock, receipt inside", at("20:00"), at("10:00"), True, "done"),
    ],
)
def test_effective_time_decides_the_window(case, occurred, received, skewed, expected):
    """Does a check count at its device time, or at its receipt time when its clock is flagged?"""
    seen = [Seen(effective_time(occurred, received, skewed), "ok")]
    assert status(MORNING, NEXT, seen, EVENING) == expected, case


T0 = at("09:00")


@pytest.mark.parametrize(
    ("scans", "expected_visits", "expected_fast"),
    [
        ([("A", 0), ("A", 30)], ["A"], 0),  # same checkpoint within a minute: one visit
        ([("A", 0), ("A", 61)], ["A", "A"], 0),  # a minute later: two visits
        ([("A", 0), ("B", 3), ("C", 6)], ["A", "B", "C"], 2),  # three signs in six seconds
        ([("A", 0), ("B", 40), ("C", 80)], ["A", "B", "C"], 0),
        ([("A", 0), ("A", 5), ("B", 50)], ["A", "B"], 0),
        ([("A", 0), ("A", 40), ("B", 43)], ["A", "B"], 1),  # left A at 40 s, at B 3 s later
    ],
)
def test_visits_and_fast_sequences(scans, expected_visits, expected_fast):
    """Are repeat scans folded into one visit, and implausibly fast sequences flagged?"""
    seq = [Scan(c, T0 + timedelta(seconds=s)) for c, s in scans]
    assert [v.checkpoint for v in visits(seq)] == expected_visits
    assert len(too_fast(seq)) == expected_fast
