"""The regional view: the dashboard over many estates, against the same dashboard over two.

``build_demo`` makes REGIONAL_BENCH_ESTATES estates (default 20) of REGIONAL_BENCH_UNITS units
(default 200) with their demo users — the organisation admin ``hq`` sees every estate, ``regional``
every demo estate, ``supervisor`` and ``supervisor2`` one each — and bench_review's bulk
history writes REGIONAL_BENCH_DAYS days (default 30) at company density. The baseline of each
row is the same page for a supervisor of two estates in the same run, so the ratio says what
eighteen more estates cost; the page reads the same number of queries for both
(tests/webapp/review/test_regional.py), so the ratio is rows, not round trips.

The issue's size is opt-in: REGIONAL_BENCH_UNITS=2000 REGIONAL_BENCH_DAYS=365, on PostgreSQL
with BENCH_DATABASE_URL (a database of its own: the bench migrates it and fills it).
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import g

from bench.bench_review import build, login, page_times, percentile_rows
from bench.common import Row, bench_app
from webapp.extensions import db

ESTATES = int(os.environ.get("REGIONAL_BENCH_ESTATES", 20))
UNITS = int(os.environ.get("REGIONAL_BENCH_UNITS", 200))
DAYS = int(os.environ.get("REGIONAL_BENCH_DAYS", 30))


def _client_of(app, username: str):
    """A test client logged in as a demo user (bench_app keeps one app context pushed, so g
    would carry the last user across clients: dropped first)."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    client = app.test_client()
    login(client, username)
    return client


def rows() -> list[Row]:
    from webapp.models import Estate, User
    from webapp.rounds import service

    out = []
    size = f"{ESTATES} x {UNITS:,} x {DAYS} d"
    with bench_app() as app:
        registry_s, history_s, counts = build(ESTATES, UNITS, DAYS)
        for estate in db.session.scalars(sa.select(Estate)):
            service.ensure_defaults(db.session, estate)
        db.session.commit()
        # The baseline user: a supervisor of two estates (the first two).
        two = User(username="two", role="supervisor", display_name="兩個小區的主管")
        two.set_password("two-demo")
        two.estates = list(db.session.scalars(sa.select(Estate).order_by(Estate.id).limit(2)))
        db.session.add(two)
        db.session.commit()

        n = 20
        hx = {"HX-Request": "true"}
        app.config["REVIEW_CACHE"] = False  # every request computes: the cost being measured
        pages = [
            ("dashboard, computed", "/review/dashboard", None),
            ("findings list, page 1", "/review/findings", hx),
            ("key register, page 1", "/keys/", None),
            ("today's round windows (coverage column)", "/review/coverage-today", hx),
        ]
        base = {}
        client = _client_of(app, "two")
        for name, url, headers in pages:
            base[name] = page_times(client, url, n, headers)
        for who in ("regional", "hq"):
            client = _client_of(app, who)
            label = "regional supervisor" if who == "regional" else "organisation admin"
            for name, url, headers in pages:
                wall, _cpu = page_times(client, url, n, headers)
                out += percentile_rows(
                    f"{label}, {ESTATES} estates: {name}",
                    f"[{size}]",
                    wall,
                    "same, a supervisor of 2 estates",
                    base[name][0],
                )
        out.append(
            Row(
                f"build {ESTATES} estates, {counts['checks']:,} checks, "
                f"{counts['findings']:,} findings ({DAYS} d)",
                registry_s + history_s,
                "s",
            )
        )
    return out
