"""Printed forms and the checks export, timed through the test client (server time).

- A month's 《裝修巡檢表》 for 200 renovating units (a check a day each, answered): the PDF,
  against reading the same checks (``records.read_checks``) in the same run. Target ≤ 10 s.
- The checks CSV of one estate-year (≈400k checks, answered): streamed to the end, against a
  bare SELECT of the same rows; the peak of Python's traced memory while it streams shows it
  flat. Target ≤ 30 s. Sizes: PAPER_BENCH_UNITS, PAPER_BENCH_CHECKS.
"""

from __future__ import annotations

import os
import random
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.bench_review import login
from bench.common import Row, bench_app
from webapp.demo import DemoOptions, build_demo
from webapp.extensions import db

RENOVATING = int(os.environ.get("PAPER_BENCH_UNITS", 200))
CHECKS = int(os.environ.get("PAPER_BENCH_CHECKS", 400_000))
ANSWERS = {"load_bearing": "yes", "facade": "yes", "waterproof": "yes", "permit": "yes",
           "debris": "yes", "workers": 3}  # fmt: skip


def _fill(estate_id: int, rng: random.Random) -> tuple[str, int]:
    """RENOVATING units under renovation with a check a day for the last 30 days, and the
    rest of CHECKS spread over the year; returns the renovation round id and the count."""
    from webapp.models import Estate, Sign, Unit, User
    from webapp.models.sync import Check
    from webapp.rounds.service import ensure_defaults

    s = db.session
    estate = s.get(Estate, estate_id)
    templates = {t.kind: t for t in ensure_defaults(s, estate)}
    units = list(s.scalars(sa.select(Unit).where(Unit.estate_id == estate_id).order_by(Unit.id)))
    for unit in units[:RENOVATING]:
        unit.status = "renovating"
    signs = list(s.scalars(sa.select(Sign.id).where(Sign.estate_id == estate_id)))
    patrol = s.scalar(sa.select(User.id).where(User.role == "patroller"))
    zone = ZoneInfo(estate.timezone)
    today = datetime.now(zone).date()
    batch, written = [], 0

    def add(at, item_type, item_id, kind, answers):
        nonlocal written
        batch.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "op_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "user_id": patrol,
                "occurred_at": at,
                "received_at": at + timedelta(minutes=5),
                "clock_skewed": False,
                "retired_code": False,
                "estate_id": estate_id,
                "item_type": item_type,
                "item_id": item_id,
                "code": "",
                "method": "scan",
                "result": "ok",
                "answers": {"_v": 1, **answers},
                "round_id": str(templates[kind].id),
                "note": "",
            }
        )
        written += 1
        if len(batch) >= 10_000:
            s.execute(sa.insert(Check.__table__), batch)
            batch.clear()

    for back in range(30, -1, -1):
        base = datetime.combine(today - timedelta(days=back), dtime(9), zone).astimezone(UTC)
        for i, unit in enumerate(units[:RENOVATING]):
            add(base + timedelta(minutes=i % 180), "unit", unit.id, "renovation", ANSWERS)
    year = [today - timedelta(days=d) for d in range(365)]
    while written < CHECKS:
        day = rng.choice(year)
        at = datetime.combine(day, dtime(8), zone).astimezone(UTC)
        at += timedelta(minutes=rng.randint(0, 600))
        if signs and rng.random() < 0.6:
            add(at, "sign", rng.choice(signs), "signage", {"state": "in_place"})
        else:
            unit = rng.choice(units)
            add(at, "unit", unit.id, "vacant", {"shut": "yes", "no_leaks": "yes"})
    if batch:
        s.execute(sa.insert(Check.__table__), batch)
    s.commit()
    return str(templates["renovation"].id), written


def rows() -> list[Row]:
    from webapp.models import Estate, Unit
    from webapp.models.sync import Check
    from webapp.paper import records

    out = []
    with bench_app() as app:
        build_demo(
            db.session, DemoOptions(estates=1, units_per_estate=max(RENOVATING, 400), days=0)
        )
        db.session.commit()
        estate = db.session.scalars(sa.select(Estate)).first()
        _, written = _fill(estate.id, random.Random(11))
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        zone = ZoneInfo(estate.timezone)
        today = datetime.now(zone).date()
        first = today - timedelta(days=30)
        client = app.test_client()
        login(client)
        units = list(
            db.session.scalars(
                sa.select(Unit.id).where(Unit.estate_id == estate.id, Unit.status == "renovating")
            )
        )

        def read():
            records.read_checks(
                db.session,
                estate_id=estate.id,
                tz=zone,
                first=first,
                last=today,
                kind="renovation",
                item_type="unit",
                item_ids=units,
                blobs=app.config["BLOB_DIR"],
            )

        started = time.perf_counter()
        read()
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        pdf = client.get(
            "/forms/renovation.pdf",
            query_string={
                "estate": estate.id,
                "start": first.isoformat(),
                "end": today.isoformat(),
            },
        )
        pdf_s = time.perf_counter() - started
        assert pdf.status_code == 200, pdf.status_code
        out.append(
            Row(
                f"《裝修巡檢表》 a month, {len(units)} units ({len(pdf.data) // 1024} KB)",
                pdf_s,
                "s",
                "reading its checks",
                read_s,
                "≤ 10 s",
                pdf_s <= 10,
            )
        )

        year = (today - timedelta(days=364)).isoformat(), today.isoformat()
        started = time.perf_counter()
        for _ in db.session.execute(
            sa.select(Check.id, Check.answers)
            .where(Check.estate_id == estate.id)
            .execution_options(yield_per=5000)
        ):
            pass
        select_s = time.perf_counter() - started

        def stream() -> tuple[int, int]:
            response = client.get(
                "/forms/checks.csv",
                query_string={"estate": estate.id, "start": year[0], "end": year[1]},
                buffered=False,
            )
            size = lines = 0
            for chunk in response.response:
                size += len(chunk)
                lines += chunk.count(b"\n")
            response.close()
            return size, lines

        # Timed alone: tracing every allocation (below) slows Python two to three times.
        started = time.perf_counter()
        size, lines = stream()
        csv_s = time.perf_counter() - started
        tracemalloc.start()
        stream()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out.append(
            Row(
                f"checks CSV, an estate-year: {lines - 1:,} checks, {size // 2**20} MB, "
                f"peak {peak / 2**20:.0f} MB traced",
                csv_s,
                "s",
                "SELECT of the rows",
                select_s,
                "≤ 30 s",
                csv_s <= 30 and lines - 1 >= written * 0.99,
            )
        )
    return out
