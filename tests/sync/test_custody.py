"""Key custody judged on the key's events in device-time order (the pure rule, as a table)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.custody import Event, walk

T = datetime(2026, 11, 20, 9, tzinfo=UTC)


def ev(i, action, minute, name=None):
    return Event(
        str(i), action, T + timedelta(minutes=minute), i, name, "contractor" if name else None
    )


IN = ("in", None, None)
CASES = [
    # baseline, events, expected status, holder, inconsistent ids
    (IN, [], "in", None, set()),
    (IN, [ev(1, "lend", 0, "A")], "out", "A", set()),
    (IN, [ev(1, "lend", 0, "A"), ev(2, "return", 5)], "in", None, set()),
    (
        IN,
        [ev(2, "return", 5), ev(1, "lend", 0, "A")],
        "in",
        None,
        set(),
    ),  # arrival order is irrelevant
    (IN, [ev(1, "return", 0)], "disputed", None, {"1"}),
    (IN, [ev(1, "lend", 0, "A"), ev(2, "lend", 5, "B")], "disputed", "B", {"2"}),
    (IN, [ev(2, "lend", 5, "B"), ev(1, "lend", 0, "A")], "disputed", "B", {"2"}),
    (("issued", "業主", "owner"), [ev(1, "lend", 0, "A")], "disputed", "A", {"1"}),
    (("out", "C", "tenant"), [ev(1, "return", 0)], "in", None, set()),
    (IN, [ev(1, "lend", 0, "A"), ev(2, "lend", 5, "B"), ev(3, "return", 3)], "out", "B", set()),
]


@pytest.mark.parametrize(("baseline", "events", "status", "holder", "bad"), CASES)
def test_custody_walk(baseline, events, status, holder, bad):
    """Does the walk give the status, holder and inconsistent events this history means?"""
    result = walk(baseline, events)
    assert (result.status, result.holder_name, set(result.inconsistent)) == (status, holder, bad)
