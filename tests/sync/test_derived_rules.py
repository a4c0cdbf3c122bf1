"""The rules of the findings the server raises from a check (sync/derived.py), as tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync import derived
from sync.derived import Visit
from webapp.rounds.defaults import CHECKLISTS

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
YESNO = {"key": "shut", "type": "yesno"}
CHOICE = {"key": "state", "type": "choice", "ok": ["in_place"]}
OPEN_CHOICE = {"key": "colour", "type": "choice", "ok": []}
NUMBER = {"key": "workers", "type": "number"}


@pytest.mark.parametrize(
    ("item", "value", "fails"),
    [
        (YESNO, "no", True),
        (YESNO, "yes", False),
        (YESNO, "na", False),
        (YESNO, None, False),
        (CHOICE, "damaged", True),
        (CHOICE, "in_place", False),
        (CHOICE, "", False),
        (OPEN_CHOICE, "red", False),  # no "ok" list: any choice is fine
        (NUMBER, 0, False),
        ({"key": "photo", "type": "photo"}, [], False),
    ],
)
def test_an_answer_fails_its_item_as_on_the_phone(item, value, fails):
    """Does an answer fail its item exactly when the phone says so (checklist.js failed)?"""
    assert derived.failed(item, value) is fails


@pytest.mark.parametrize(
    ("result", "answers", "raises"),
    [
        ("issue", {"_v": 1, "load_bearing": "yes", "facade": "yes"}, True),
        ("issue", {"_v": 1}, True),  # nothing answered (marked 有問題 by hand)
        ("issue", {"_v": 1, "load_bearing": "no"}, False),  # the phone raised one per failure
        ("ok", {"_v": 1}, False),
        ("no_access", {"no_access": "refused"}, False),
    ],
)
def test_a_check_marked_issue_raises_one_only_when_nothing_failed(result, answers, raises):
    """Does a check raise the server's finding only when marked 有問題 with no failed item?"""
    assert derived.raises_issue(result, CHECKLISTS["renovation"], answers) is raises


@pytest.mark.parametrize(
    ("kind", "item_type", "category"),
    [
        ("renovation", "unit", "裝修違規"),
        ("signage", "sign", "標識問題"),
        ("vacant", "unit", "其他"),
        ("custom", "sign", "其他"),
        (None, "sign", "標識問題"),
        (None, "unit", "其他"),
    ],
)
def test_the_issue_findings_category_is_its_forms(kind, item_type, category):
    """Is the category the round's form's (the names the phone gives failed items)?"""
    assert derived.issue_category(kind, item_type) == category


@pytest.mark.parametrize(
    ("method", "reason", "relabel"),
    [
        ("manual", "label_missing", True),
        ("typed", "label_damaged", True),
        ("manual", "label_unreadable", False),
        ("manual", "camera_unavailable", False),
        ("manual", "other", False),
        ("manual", None, False),
        ("scan", "label_missing", False),
    ],
)
def test_only_a_missing_or_damaged_label_needs_relabelling(method, reason, relabel):
    assert derived.needs_relabel(method, reason) is relabel


def test_relabel_once_per_item_and_not_while_one_is_open():
    """Does the first check needing a new label raise it, and none after it, or none at all
    while a relabel finding is open?"""
    arriving = [
        ("a", "manual", "label_unreadable"),
        ("b", "manual", "label_missing"),
        ("c", "typed", "label_damaged"),
    ]
    assert derived.relabels_raising(arriving, open_already=False) == ["b"]
    assert derived.relabels_raising(arriving, open_already=True) == []


def _v(name: str, hours: int, refused: bool) -> Visit:
    return Visit(name, T + timedelta(hours=hours), refused)


R, N = True, False  # refused; any other visit (ok, issue, nobody home)


@pytest.mark.parametrize(
    ("history", "arriving", "open_already", "raising"),
    [
        ([], [_v("a", 0, R)], False, []),  # a first refusal
        ([_v("a", 0, R)], [_v("b", 1, R)], False, ["b"]),  # two in a row
        ([_v("a", 0, R)], [_v("b", 1, R)], True, []),  # one open already
        ([_v("a", 0, R), _v("n", 1, N)], [_v("b", 2, R)], False, []),  # broken by a visit
        ([_v("a", 0, R)], [_v("b", 1, N)], False, []),  # not a refusal
        ([_v("b", 2, R)], [_v("a", 0, R)], False, ["a"]),  # the earlier one arrives late
        ([_v("a", 0, R), _v("c", 4, R)], [_v("n", 2, N)], False, []),  # a visit between
        ([], [_v("a", 0, R), _v("b", 1, R), _v("c", 2, R)], False, ["b"]),  # one per streak
        ([], [_v("b", 1, R), _v("a", 0, R)], False, ["a"]),  # reversed in one batch
        ([_v("x", 0, R)], [_v("n", 1, N), _v("b", 2, R)], False, []),  # the batch's own visit
        ([_v("a", 0, R), _v("b", 1, R)], [_v("c", 2, R)], False, ["c"]),  # closed: again
    ],
)
def test_two_refusals_in_a_row_raise_one_finding(history, arriving, open_already, raising):
    """Does a refusal raise the finding exactly when its neighbour by device time is a
    refusal too, once per item while it is open, whatever the order of arrival?"""
    assert derived.refusals_raising(history, arriving, open_already) == raising


def test_a_refusals_partner_is_the_neighbouring_refusal():
    """Is the refusal named beside the raising one its neighbour (the earlier first)?"""
    a, b, c = _v("a", 0, R), _v("b", 1, R), _v("c", 2, R)
    assert derived.refusal_partner([a, c], b) == a
    assert derived.refusal_partner([c], b) == c
    assert derived.refusal_partner([_v("n", 0, N)], b) is None


def test_a_derived_id_is_the_same_for_every_replay_and_differs_by_reason():
    """Is the id of a raised finding fixed by the check and the reason, one per reason?"""
    check = "0b6f8f6e-5d8e-4b7e-9a55-0e7c1b6d2f10"
    ids = {why: derived.derived_id(check, why) for why in ("issue", "relabel", "refused")}
    assert ids == {why: derived.derived_id(check, why) for why in ids}
    assert len(set(ids.values())) == 3
    assert derived.derived_id("another", "issue") != ids["issue"]
