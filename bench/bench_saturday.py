"""The Saturday report (issue 20 item 5) of an estate with 200 renovating units and a year of
history, timed through the test client (server time): the PDF (target ≤ 5 s) and the workbook
(≤ 2 s), each against reading the report's numbers alone (``report.report``) in the same run.

The year: a renovation patrol window a day with the units renovating that day (200 now, and
closed permits before them), a check a day of each, one in twenty failing an item; the
signage round's checks twice a day; permits with their deposit lines (received, refunded on
closing, a deduction now and then), notices and reported items every day.
Sizes: SATURDAY_BENCH_UNITS (renovating now), SATURDAY_BENCH_SIGNS.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.bench_keys import _login
from bench.common import Row, bench_app, best_of, fresh_statistics
from webapp.demo import DemoOptions, build_demo
from webapp.extensions import db

RENOVATING = int(os.environ.get("SATURDAY_BENCH_UNITS", 200))
SIGNS = int(os.environ.get("SATURDAY_BENCH_SIGNS", 100))
DAYS = 365
CATEGORIES = ["漏水", "照明故障", "門窗損壞", "設施損壞", "裝修違規", "雜物堆放", "其他"]
OK = {"load_bearing": "yes", "facade": "yes", "waterproof": "yes", "permit": "yes",
      "debris": "yes", "workers": 3}  # fmt: skip
RULES = ["load_bearing", "facade", "waterproof", "permit", "debris"]


class _Writer:
    """Rows gathered per table and inserted in batches of 10,000."""

    def __init__(self) -> None:
        self.rows: dict = {}
        self.count = 0

    def add(self, table, row: dict) -> None:
        batch = self.rows.setdefault(table, [])
        batch.append(row)
        self.count += 1
        if len(batch) >= 10_000:
            self.flush(table)

    def flush(self, table=None) -> None:
        for name in [table] if table is not None else list(self.rows):
            if self.rows.get(name):
                db.session.execute(sa.insert(name), self.rows[name])
                self.rows[name] = []


def _observed(rng: random.Random, estate_id: int, user_id: int, at: datetime) -> dict:
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128))),
        "op_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "user_id": user_id,
        "occurred_at": at,
        "received_at": at + timedelta(minutes=5),
        "clock_skewed": False,
        "retired_code": False,
        "estate_id": estate_id,
    }


def _permits(units: list[int], today: date, rng: random.Random) -> list[tuple]:
    """(unit, start, end, closed_on) over the year: RENOVATING open now (one in five past its
    end), and before each a closed one on about half the units."""
    plans = []
    for i, unit in enumerate(units[:RENOVATING]):
        start = today - timedelta(days=rng.randint(10, 120))
        end = today - timedelta(days=rng.randint(1, 9)) if i % 5 == 0 else today + timedelta(60)
        plans.append((unit, start, end, None))
    for unit in units[: RENOVATING * 2 : 2]:
        start = today - timedelta(days=rng.randint(200, 364))
        plans.append((unit, start, start + timedelta(days=60), start + timedelta(days=65)))
    return plans


def _fill(estate_id: int, rng: random.Random) -> int:
    """The year of history; returns how many rows were written."""
    from webapp.models import Estate, Sign, Unit, User
    from webapp.models.renovation import DepositEntry, RectificationNotice, RenovationPermit
    from webapp.models.rounds import RoundWindow
    from webapp.models.sync import Check, Finding
    from webapp.rounds.service import ensure_defaults

    s = db.session
    estate = s.get(Estate, estate_id)
    zone = ZoneInfo(estate.timezone)
    today = datetime.now(zone).date()
    templates = {t.kind: t for t in ensure_defaults(s, estate)}
    units = list(s.scalars(sa.select(Unit.id).where(Unit.estate_id == estate_id).order_by(Unit.id)))
    signs = list(s.scalars(sa.select(Sign.id).where(Sign.estate_id == estate_id)))[:SIGNS]
    patrol = s.scalar(sa.select(User.id).where(User.role == "patroller"))
    out = _Writer()
    plans = _permits(units, today, rng)
    for n, (unit, start, end, closed) in enumerate(plans):
        permit = RenovationPermit(
            estate_id=estate_id, unit_id=unit, number=f"B-{n:05d}", starts_on=start, ends_on=end,
            deposit=5000, closed_on=closed, close_reason="accepted" if closed else None,
        )  # fmt: skip
        s.add(permit)
        s.flush()
        lines = [("received", 5000, start)]
        if rng.random() < 0.2:
            lines.append(("deducted", 500, start + timedelta(days=20)))
        if closed:
            lines.append(
                ("refunded", 5000 - sum(a for k, a, _ in lines if k == "deducted"), closed)
            )
        for kind, amount, on in lines:
            out.add(DepositEntry.__table__, {"permit_id": permit.id, "estate_id": estate_id,
                                             "kind": kind, "amount": amount, "on": on})  # fmt: skip
    s.execute(sa.update(Unit).where(Unit.id.in_(units[:RENOVATING])).values(status="renovating"))
    seq = 0
    for back in range(DAYS, -1, -1):
        day = today - timedelta(days=back)
        renovating = [u for u, start, end, closed in plans
                      if start <= day and (closed or today) >= day]  # fmt: skip
        opens = datetime.combine(day, dtime(8), zone)
        out.add(RoundWindow.__table__, {
            "template_id": templates["renovation"].id, "estate_id": estate_id,
            "start": opens.astimezone(UTC), "end": (opens + timedelta(hours=10)).astimezone(UTC),
            "checkpoints": [["unit", u] for u in renovating], "opened_at": opens,
        })  # fmt: skip
        for i, unit in enumerate(renovating):
            if rng.random() < 0.05:
                continue  # missed
            answers = dict(OK)
            if rng.random() < 0.05:
                answers[rng.choice(RULES)] = "no"
            at = (opens + timedelta(minutes=i * 2 % 540)).astimezone(UTC)
            out.add(Check.__table__, {
                **_observed(rng, estate_id, patrol, at), "item_type": "unit", "item_id": unit,
                "code": "", "method": "scan", "result": "ok", "answers": {"_v": 1, **answers},
                "round_id": str(templates["renovation"].id), "note": "",
            })  # fmt: skip
        for sign in signs:
            for hour in (9, 15):
                at = datetime.combine(day, dtime(hour), zone).astimezone(UTC)
                out.add(Check.__table__, {
                    **_observed(rng, estate_id, patrol, at), "item_type": "sign",
                    "item_id": sign, "code": "", "method": "scan", "result": "ok",
                    "answers": {"_v": 1, "state": "in_place"},
                    "round_id": str(templates["signage"].id), "note": "",
                })  # fmt: skip
        for _ in range(20):
            at = datetime.combine(day, dtime(rng.randint(8, 20)), zone).astimezone(UTC)
            out.add(Finding.__table__, {
                **_observed(rng, estate_id, patrol, at), "item_type": "unit",
                "item_id": rng.choice(units), "severity": "medium",
                "category": rng.choice(CATEGORIES), "note": "", "status": rng.choice(
                    ["open", "dispatched", "closed", "closed"]),
            })  # fmt: skip
        for _ in range(rng.randint(0, 2)):
            seq += 1
            at = datetime.combine(day, dtime(10), zone).astimezone(UTC)
            out.add(RectificationNotice.__table__, {
                **_observed(rng, estate_id, patrol, at), "unit_id": rng.choice(renovating or units),
                "year": day.year, "seq": seq, "rules": rng.sample(RULES, 2), "note": "",
                "deadline": day + timedelta(days=7),
                "status": "rectified" if back > 14 else rng.choice(["issued", "delivered"]),
            })  # fmt: skip
    out.flush()
    s.commit()
    return out.count


def rows() -> list[Row]:
    from webapp.models import Estate
    from webapp.renovation import report

    out = []
    with bench_app() as app:
        build_demo(
            db.session, DemoOptions(estates=1, units_per_estate=max(RENOVATING * 2, 400), days=0)
        )
        db.session.commit()
        estate = db.session.scalars(sa.select(Estate)).first()
        written = _fill(estate.id, random.Random(20))
        fresh_statistics()
        zone = ZoneInfo(estate.timezone)
        week = report.Week.due_by(datetime.now(zone).date())
        client = app.test_client()
        _login(client, "supervisor")
        query = {"estate": estate.id, "week": week.label}

        def numbers():
            found = report.report(db.session, [estate], week, datetime.now(UTC))
            db.session.rollback()
            return found[0]

        numbers_s = best_of(numbers, 3)
        patrols = numbers()["patrols"]
        checked = f"patrols {patrols['done'] + patrols['late']}/{patrols['due']}"
        for fmt, target in (("pdf", 5.0), ("xlsx", 2.0)):
            seconds, size = float("inf"), 0
            for _ in range(3):
                started = time.perf_counter()
                response = client.get(f"/renovation/report.{fmt}", query_string=query)
                seconds = min(seconds, time.perf_counter() - started)
                assert response.status_code == 200, response.status_code
                size = len(response.data)
            out.append(
                Row(
                    f"Saturday report {fmt.upper()}, {RENOVATING} renovating units, a year "
                    f"({written:,} rows; {checked}; {size // 1024} KB)",
                    seconds,
                    "s",
                    "report.report (numbers)",
                    numbers_s,
                    f"≤ {target:g} s",
                    seconds <= target,
                )
            )
    return out
