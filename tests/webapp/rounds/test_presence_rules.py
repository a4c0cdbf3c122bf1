"""The pure maths of proof of presence, as tables: the median, the distance between two
fixes, which fix is good, a checkpoint's learned position, and when a fix is far from it."""

from __future__ import annotations

import math

import pytest

from webapp.rounds import presence
from webapp.rounds.presence import EARTH_M, FAR_M, GOOD_FIX_M, LEARN_FIXES

HOME = (25.0330, 121.5654)  # a checkpoint somewhere in Taipei


def north(point, metres: float):
    """The point ``metres`` due north (along a meridian the great circle is exact)."""
    return (point[0] + math.degrees(metres / EARTH_M), point[1])


def east(point, metres: float):
    """The point about ``metres`` due east (small distances)."""
    radius = EARTH_M * math.cos(math.radians(point[0]))  # of the parallel
    return (point[0], point[1] + math.degrees(metres / radius))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([7.0], 7.0),
        ([1.0, 3.0], 2.0),
        ([3.0, 1.0, 2.0], 2.0),
        ([5.0, 1.0, 100.0, 2.0, 3.0], 3.0),  # one wild value does not move it
        ([1.0, 2.0, 3.0, 4.0], 2.5),
    ],
)
def test_median(values, expected):
    """Is the median the middle value, or the mean of the two middle ones?"""
    assert presence.median(values) == expected


@pytest.mark.parametrize(
    ("a", "b", "metres", "within"),
    [
        (HOME, HOME, 0.0, 1e-9),
        ((0.0, 0.0), (1.0, 0.0), math.pi * EARTH_M / 180, 1e-6),  # a degree of latitude
        ((0.0, 0.0), (0.0, 180.0), math.pi * EARTH_M, 1e-3),  # half way round
        ((90.0, 0.0), (-90.0, 0.0), math.pi * EARTH_M, 1e-3),  # pole to pole
        (HOME, north(HOME, 100.0), 100.0, 1e-6),
        (HOME, north(HOME, 3.0), 3.0, 1e-6),  # a few metres keep their digits
        (HOME, east(HOME, 100.0), 100.0, 0.01),
        ((25.0, 179.9995), (25.0, -179.9995), 100.8, 0.1),  # across the date line
    ],
)
def test_distance(a, b, metres, within):
    """Is the distance between two fixes the great-circle distance in metres?"""
    assert presence.distance_m(a, b) == pytest.approx(metres, abs=within)
    assert presence.distance_m(b, a) == pytest.approx(metres, abs=within)


@pytest.mark.parametrize(
    ("lat", "lon", "accuracy", "good"),
    [
        (25.0, 121.5, 5.0, True),
        (25.0, 121.5, GOOD_FIX_M, True),  # the bound itself counts
        (25.0, 121.5, GOOD_FIX_M + 0.1, False),
        (25.0, 121.5, 80.0, False),  # indoors
        (25.0, 121.5, None, False),  # the phone did not say how good
        (None, 121.5, 5.0, False),
        (25.0, None, 5.0, False),
        (25.0, 121.5, -1.0, False),  # nonsense accuracy
        (25.0, 121.5, float("nan"), False),
    ],
)
def test_good_fix(lat, lon, accuracy, good):
    """Is a fix good only with a position and a stated accuracy of 30 m or better?"""
    assert presence.good_fix(lat, lon, accuracy) is good


def test_learn_from_the_first_fixes_only():
    """Is the position the median of the first LEARN_FIXES good fixes, whatever comes later,
    one stray among them ignored, and none without fixes?"""
    assert presence.learn([]) is None
    assert presence.learn([HOME]) == HOME
    two = presence.learn([HOME, north(HOME, 20.0)])
    assert presence.distance_m(two, north(HOME, 10.0)) < 0.01
    first = [north(HOME, d) for d in (0.0, 4.0, -3.0, 900.0, 2.0)]  # one stray 900 m away
    later = [north(HOME, 5000.0)] * 10  # a later flood of fixes elsewhere changes nothing
    learned = presence.learn(first + later)
    assert LEARN_FIXES == 5
    assert presence.distance_m(learned, north(HOME, 2.0)) < 0.01


@pytest.mark.parametrize(
    ("position", "metres", "accuracy", "far"),
    [
        (None, 5000.0, 5.0, False),  # no known position: no flag
        (HOME, 5000.0, None, False),  # no accuracy: no flag
        (HOME, 1000.0, 80.0, False),  # indoors, 80 m: says nothing
        (HOME, 1000.0, 31.0, False),
        (HOME, 0.0, 5.0, False),
        (HOME, FAR_M + 10.0 - 1, 10.0, False),  # inside 100 m + its accuracy
        (HOME, FAR_M + 10.0 + 1, 10.0, True),
        (HOME, FAR_M + GOOD_FIX_M - 1, GOOD_FIX_M, False),
        (HOME, FAR_M + GOOD_FIX_M + 1, GOOD_FIX_M, True),
        (HOME, FAR_M + 1, 0.0, True),
        (HOME, 250.0, 20.0, True),  # the next building but one
    ],
)
def test_is_far(position, metres, accuracy, far):
    """Is a fix far only when it is good and farther than 100 m plus its accuracy from a known
    position?"""
    fix = north(HOME, metres)
    assert presence.is_far(position, fix[0], fix[1], accuracy) is far


@pytest.mark.parametrize(
    ("method", "reason", "mark"),
    [
        ("scan", None, ""),
        ("typed", "label_unreadable", "typed"),
        ("typed", None, "typed"),  # a typed code needs no reason to be told apart
        ("manual", "label_damaged", "manual"),
        ("manual", None, "unexplained"),  # an older app: no reason given
    ],
)
def test_how_a_check_is_marked(method, reason, mark):
    """Which mark does a grid cell carry for how its check reached the item?"""
    assert presence.how(method, reason) == mark
    assert mark == "" or presence.MARKS[mark]
