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


def lend(i, minute, name, due_minute=None):
    due = T + timedelta(minutes=due_minute) if due_minute is not None else None
    return Event(str(i), "lend", T + timedelta(minutes=minute), i, name, "contractor", due_back=due)


LOANS = [
    # events, due back (minutes after T, or None), pairs (as id pairs)
    ([lend(1, 0, "A", 60)], 60, set()),
    ([lend(1, 0, "A", 60), ev(2, "return", 30)], None, {("1", "2")}),
    # A second lend while out: the first borrower's earlier due back still holds.
    ([lend(1, 0, "A", 60), lend(2, 10, "B", 600)], 60, set()),
    ([lend(1, 0, "A", 600), lend(2, 10, "B", 60)], 60, set()),
    ([lend(1, 0, "A"), lend(2, 10, "B", 90)], 90, set()),
    # The return ends the latest lend (by device time); the first stays open on the record.
    ([lend(1, 0, "A", 60), lend(2, 10, "B", 90), ev(3, "return", 20)], None, {("2", "3")}),
    # A return with no lend before it ends nothing.
    ([ev(1, "return", 0), lend(2, 10, "B", 90)], 90, set()),
    # Arrival order is irrelevant: the late-arriving lend pairs with the earlier return.
    ([ev(2, "return", 30), lend(1, 0, "A", 60)], None, {("1", "2")}),
]


@pytest.mark.parametrize(("events", "due", "pairs"), LOANS)
def test_custody_due_back_and_loans(events, due, pairs):
    """Does the walk keep the earliest due back not yet returned (a disputed key stays overdue)
    and pair each lend with the return that ended it?"""
    result = walk(IN, events)
    assert result.due_back == (T + timedelta(minutes=due) if due is not None else None)
    expected = {a: b for a, b in pairs} | {b: a for a, b in pairs}
    assert result.pairs == expected
