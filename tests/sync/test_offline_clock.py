"""Clocks of ops made offline: a check synced hours later is not a clock fault."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.sync.conftest import check_op, codes_of


@pytest.mark.parametrize(
    ("offset", "flagged"),
    [
        (timedelta(hours=-6), False),  # made offline this morning, synced now
        (timedelta(days=-6), False),  # a phone offline for most of a week
        (timedelta(days=-8), True),  # further back than a phone plausibly holds ops
        (timedelta(minutes=10), True),  # a device clock ahead of the server
        (timedelta(minutes=3), False),  # within the tolerance
    ],
)
def test_late_sync_is_not_clock_skew(app, phone, seed, offset, flagged):
    """Is only an implausible device time flagged, never an honest late sync?"""
    code = codes_of(app, seed.estate_ids[0], "unit", 1)[0]
    op = check_op(code, at=datetime.now(UTC) + offset)
    result = phone.push([op]).get_json()["results"][0]
    assert result["status"] == "applied"
    assert ("clock_skew" in (result.get("data") or {}).get("flags", [])) is flagged
