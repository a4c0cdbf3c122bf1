"""The load bench's regional dashboard rows: a regional supervisor's dashboard over every estate,
computed (cache off), on PostgreSQL, on a database built once and kept.

The database (LOAD_BENCH_REGIONAL_ESTATES x _UNITS x _DAYS: 20 x 200 x 365 by default, the
issue's 20 x 2,000 x 365 with LOAD_BENCH_REGIONAL_UNITS=2000) is the review bench's
(bench_review.build: the demo registry and a year of company-density history in bulk), named
by its size, `rounds_bench_regional_<E>x<U>x<D>`, and marked complete by a comment on the
database once built: later runs only time the pages (building the full size takes ~30 min on
2 cores; the default ~3 min). LOAD_BENCH_REGIONAL=0 leaves the rows out.
"""

from __future__ import annotations

import os
import sys
import time

import psycopg

from bench import _cluster
from bench.bench_review import REGIONAL, build, login, page_times, pct, regional_supervisor
from bench.common import Row, bench_app

ESTATES = int(os.environ.get("LOAD_BENCH_REGIONAL_ESTATES", 20))
UNITS = int(os.environ.get("LOAD_BENCH_REGIONAL_UNITS", 200))
DAYS = int(os.environ.get("LOAD_BENCH_REGIONAL_DAYS", 365))
COMPLETE = "rounds bench: complete"
TARGET_MS = 300


def _complete(name: str) -> bool:
    with psycopg.connect(_cluster.PG_ADMIN, autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
    return bool(row) and row[0] == COMPLETE


def _mark_complete(name: str) -> None:
    with psycopg.connect(_cluster.PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{COMPLETE}'")


def rows() -> list[Row]:
    if os.environ.get("LOAD_BENCH_REGIONAL") == "0":
        return []
    missing = _cluster.missing_services()
    if missing:
        print(f"  regional: skipped — {missing}", file=sys.stderr)
        return []
    name = f"rounds_bench_regional_{ESTATES}x{UNITS}x{DAYS}"
    built = _complete(name)
    url = _cluster.sa_url(name) if built else _cluster.fresh_database(name)
    size = f"{ESTATES} x {UNITS:,} x {DAYS} d, PostgreSQL"
    out = []
    with bench_app(SQLALCHEMY_DATABASE_URI=url) as app:
        if not built:
            started = time.perf_counter()
            _registry_s, _history_s, counts = build(ESTATES, UNITS, DAYS)
            regional_supervisor()
            _mark_complete(name)
            out.append(
                Row(
                    f"regional: build the database once ({counts['checks']:,} checks) [{size}]",
                    time.perf_counter() - started,
                    "s",
                )
            )
        regional_supervisor()
        client = app.test_client()
        login(client, "boss")
        n = 40
        floor, _cpu = page_times(client, "/healthz", n)
        app.config["REVIEW_CACHE"] = False
        for what, url_path, headers in (
            ("dashboard", "/", None),
            ("dashboard panel (htmx poll)", "/review/dashboard", {"HX-Request": "true"}),
        ):
            wall, _cpu = page_times(client, url_path, n, headers)
            for pname, p in (("p50", 0.5), ("p95", 0.95)):
                value = pct(wall, p) * 1000
                held = pname == "p95" and what == "dashboard"
                out.append(
                    Row(
                        f"{REGIONAL}: {what}, all {ESTATES} estates, computed {pname} [{size}]",
                        value,
                        "ms",
                        f"GET /healthz {pname}",
                        pct(floor, p) * 1000,
                        target=f"<= {TARGET_MS} ms" if held else "",
                        met=value <= TARGET_MS if held else None,
                    )
                )
    return out
