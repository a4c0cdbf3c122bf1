"""The fuzz targets' budget, hostile values, and logged-in clients of every role.

Each target runs Hypothesis in short runs of a few dozen examples until its share of the
budget is spent: ``ROUNDS_FUZZ_SECONDS`` (default 120, about two minutes per database in
the normal run and in CI; ``make fuzz`` sets it much longer). Hypothesis shrinks a failing
example and prints it, with the request it made.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from tests.conftest import AuthActions
from tests.sync.conftest import issue_device

# The whole budget, in seconds, of every fuzz target together; each takes a share.
BUDGET = float(os.environ.get("ROUNDS_FUZZ_SECONDS", "120"))
SHARES = {"routes": 0.6, "push": 0.4}
ROLES = ("patrol", "supervisor", "engineer", "desk", "admin", "patrol2")
# Pages are also walked as the organisation admin (every estate, present and future) and the
# regional supervisor (several estates): their dashboard, pickers and lists differ. Phones stay
# ROLES' (their pushes name items of the user's first estate).
WEB_ROLES = (*ROLES, "hq", "regional")

# Each short run: no deadline (a page can take a while on a busy machine), no shared-state
# complaints (the app and its database deliberately live across examples).
RUN = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
    print_blob=True,
    # No "explain" phase: it reruns the failing example under coverage tracing, for minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)


def run_for(share: str, test: Callable[[], None]) -> int:
    """Call a Hypothesis test (already wrapped by @given) until its share of the budget is
    spent; at least once. Returns how many runs were made."""
    end = time.monotonic() + BUDGET * SHARES[share]
    runs = 0
    while True:
        test()
        runs += 1
        if time.monotonic() >= end:
            return runs


# Text that has broken web apps: NUL and control characters, lone UTF-16 surrogates,
# numbers past every integer type, dates at and past the calendar's edges, injection and
# redirect shapes, Unicode digits Python's int() accepts, and sheer length.
HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\ufeff",
    "\u202e",
    "\r\n",
    "\t",
    "\x1b[31m",
    "\x7f",
    "0",
    "-1",
    "+1",
    " 7 ",
    "1_000",
    "0x10",
    "1e309",
    "1.5",
    "NaN",
    "inf",
    "-inf",
    "２",
    "٣",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999999",
    "-99999999999999999999999",
    "9" * 400,
    "9" * 5000,
    "0001-01-01",
    "0000-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "2026-13-01",
    "2026-1-1",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "2026-03-08T25:61:61",
    "true",
    "null",
    "[]",
    "{}",
    "//evil.example",
    "/\t/evil.example",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/%0d%0a/x",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1--",
    "%",
    "%00",
    "\\",
    "*",
    "_",
    "𠀀𠀁",
    "ｅｓｔａｔｅ",
    "A" * 5000,
]


def _text() -> st.SearchStrategy[str]:
    # Every code point, lone surrogates and controls included.
    return st.text(
        st.one_of(
            st.characters(codec=None, exclude_categories=()),
            st.characters(categories=["Cs", "Cc", "Cf", "Zl", "Zp"]),
        ),
        max_size=30,
    )


# The edges that most often break a parser or a column type, drawn more often.
EDGES = [
    "\x00",
    "\ud800",
    "-1",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999999",
    "0001-01-01",
    "9999-12-31",
    "1e309",
]


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(EDGES),
        st.sampled_from(HOSTILE),
        st.one_of(
            st.integers(min_value=-(2**80), max_value=2**80),
            st.sampled_from([2**31, -(2**31) - 1, 2**63, -(2**63) - 1, 10**22, 10**400]),
        ).map(str),
        st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
        st.datetimes().map(lambda d: d.isoformat()),
        _text(),
    )


def hostile_json() -> st.SearchStrategy:
    """Any JSON value, with hostile leaves."""
    leaves = st.one_of(
        hostile_text(),
        st.integers(min_value=-(2**80), max_value=2**80),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.none(),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(hostile_text(), inner, max_size=4)
        ),
        max_leaves=8,
    )


@pytest.fixture
def role_clients(app, seed):
    """A logged-in test client per demo role, and one logged in as no one."""
    clients = {"anonymous": app.test_client()}
    for role in WEB_ROLES:
        client = app.test_client()
        response = AuthActions(client).login(role)
        assert response.status_code in (302, 303), role
        clients[role] = client
    return clients


@pytest.fixture
def role_phones(app, seed):
    """A device token per demo role: (device_id, token)."""
    return {role: issue_device(app, role, f"fuzz-{role}") for role in ROLES}
