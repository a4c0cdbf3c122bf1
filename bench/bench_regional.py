"""The regional view: the dashboard over many estates, against the same dashboard over two.

``build_demo`` makes REGIONAL_BENCH_ESTATES estates (default 20) of REGIONAL_BENCH_UNITS units
(default 200) with their demo users — the organisation admin ``hq`` sees every estate, ``regional``
every demo estate, ``supervisor`` and ``supervisor2`` one each — and bench_review's bulk
history writes REGIONAL_BENCH_DAYS days (default 30) at company density. The baseline of each
row is the same page for a supervisor of two estates in the same run, so the ratio says what
eighteen more estates cost; the page reads the same number of queries for both
(tests/webapp/review/test_regional.py), so the ratio is rows, not round trips. Pages are
computed (cache off); the regional supervisor's dashboard is held to issue 22's 300 ms p95.

The issue's size is opt-in: REGIONAL_BENCH_UNITS=2000 REGIONAL_BENCH_DAYS=365, on PostgreSQL
with BENCH_DATABASE_URL (a database of its own: the bench migrates it and fills it), or
REGIONAL_BENCH_DB=<url> to time the pages on a database built once and kept — an earlier run's,
or the load bench's `rounds_bench_regional_<E>x<U>x<D>` (docs/load.md). A kept database is only
migrated and given its baseline users: ``two`` (the first two estates), ``hq`` (every estate)
if missing, and its regional supervisor is ``regional``, else the review bench's ``boss``.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import g

from bench.bench_review import build, login, page_times, percentile_rows, regional_supervisor
from bench.common import Row, bench_app
from webapp.extensions import db

ESTATES = int(os.environ.get("REGIONAL_BENCH_ESTATES", 20))
UNITS = int(os.environ.get("REGIONAL_BENCH_UNITS", 200))
DAYS = int(os.environ.get("REGIONAL_BENCH_DAYS", 30))
KEPT = os.environ.get("REGIONAL_BENCH_DB")
TARGET_MS = 300  # issue 22: the regional dashboard, p95, computed


def _client_of(app, username: str):
    """A test client logged in as a demo user (bench_app keeps one app context pushed, so g
    would carry the last user across clients: dropped first)."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    client = app.test_client()
    login(client, username)
    return client


def _user(username: str, role: str, name: str, estates=None, every=False) -> None:
    """A bench user (password ``<username>-demo``) unless one of that name exists."""
    from webapp.models import User

    if db.session.scalar(sa.select(User).where(User.username == username)) is not None:
        return
    user = User(username=username, role=role, display_name=name, all_estates=every)
    user.set_password(f"{username}-demo")
    user.estates = list(estates or [])
    db.session.add(user)
    db.session.commit()


def rows() -> list[Row]:
    from webapp.models import Estate, User
    from webapp.rounds import service

    out = []
    with bench_app(**({"SQLALCHEMY_DATABASE_URI": KEPT} if KEPT else {})) as app:
        if KEPT:
            regional_supervisor()  # default rounds everywhere, and boss (every estate)
            estates = db.session.scalar(sa.select(sa.func.count(Estate.id)))
            size = f"{estates} estates, kept database"
            counts = None
        else:
            size = f"{ESTATES} x {UNITS:,} x {DAYS} d"
            registry_s, history_s, counts = build(ESTATES, UNITS, DAYS)
            for estate in db.session.scalars(sa.select(Estate)):
                service.ensure_defaults(db.session, estate)
            db.session.commit()
            estates = ESTATES
        # The baseline user: a supervisor of two estates (the first two).
        first_two = db.session.scalars(sa.select(Estate).order_by(Estate.id).limit(2))
        _user("two", "supervisor", "兩個小區的主管", first_two)
        _user("hq", "admin", "總部", every=True)
        regional = "regional"
        if db.session.scalar(sa.select(User).where(User.username == regional)) is None:
            regional = "boss"

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
        for who in (regional, "hq"):
            client = _client_of(app, who)
            label = "organisation admin" if who == "hq" else "regional supervisor"
            for name, url, headers in pages:
                wall, _cpu = page_times(client, url, n, headers)
                held = who != "hq" and name.startswith("dashboard")
                out += percentile_rows(
                    f"{label}, {estates} estates: {name}",
                    f"[{size}]",
                    wall,
                    "same, a supervisor of 2 estates",
                    base[name][0],
                    target_ms=TARGET_MS if held else None,
                )
        if counts is not None:
            out.append(
                Row(
                    f"build {ESTATES} estates, {counts['checks']:,} checks, "
                    f"{counts['findings']:,} findings ({DAYS} d)",
                    registry_s + history_s,
                    "s",
                )
            )
    return out
