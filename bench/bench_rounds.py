"""Rounds rows: one day's coverage and a 30-day trend for an estate with 2,000 signs and 365
days of signage history (server time: the service and the JSON, no HTTP)."""

from __future__ import annotations

import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.common import Row, bench_app, best_of
from webapp.extensions import db
from webapp.models import Building, Estate, Sign, User
from webapp.models.rounds import RoundWindow
from webapp.models.sync import Check
from webapp.rounds import rules, service

SIGNS = 2000
DAYS = 365


def _build(rng: random.Random) -> tuple[Estate, datetime, float]:
    started = time.perf_counter()
    estate = Estate(name="基準花園", timezone="Asia/Taipei")
    db.session.add(estate)
    db.session.flush()
    buildings = [
        Building(estate_id=estate.id, name=f"{n}棟", sort_key=n, floors=30) for n in range(1, 21)
    ]
    db.session.add_all(buildings)
    user = User(username="bench", role="patroller", display_name="基準", password_hash="!")  # noqa: S106
    db.session.add(user)
    db.session.flush()
    db.session.execute(
        sa.insert(Sign),
        [
            {
                "estate_id": estate.id,
                "category": "floor",
                "location": f"{buildings[n % 20].name}{n // 20 % 30 + 1}樓電梯廳",
                "building_id": buildings[n % 20].id,
                "floor": n // 20 % 30 + 1,
                "description": "",
                "active": True,
            }
            for n in range(SIGNS)
        ],
    )
    templates = service.ensure_defaults(db.session, estate)
    signage = next(t for t in templates if t.kind == "signage")
    sign_ids = db.session.scalars(sa.select(Sign.id).where(Sign.estate_id == estate.id)).all()
    points = [["sign", i] for i in sign_ids]
    zone = ZoneInfo(estate.timezone)
    today = datetime.now(zone).date()
    schedule = rules.Schedule.from_template(signage)
    windows, checks = [], []
    now = datetime.now(UTC)
    for back in range(DAYS, 0, -1):
        for w in rules.windows_starting(schedule, today - timedelta(days=back), estate.timezone):
            windows.append(
                {
                    "template_id": signage.id,
                    "estate_id": estate.id,
                    "start": w.start,
                    "end": w.end,
                    "checkpoints": points,
                    "opened_at": w.start,
                }
            )
            for sid in sign_ids:
                roll = rng.random()
                if roll < 0.05:
                    continue
                at = w.start + timedelta(minutes=rng.randint(5, 235))
                if roll < 0.08:
                    at = w.end + timedelta(minutes=rng.randint(5, 100))
                checks.append(
                    {
                        "id": str(uuid.UUID(int=rng.getrandbits(128))),
                        "op_id": str(uuid.UUID(int=rng.getrandbits(128))),
                        "user_id": user.id,
                        "occurred_at": at,
                        "received_at": at + timedelta(minutes=30),
                        "clock_skewed": False,
                        "retired_code": False,
                        "estate_id": estate.id,
                        "item_type": "sign",
                        "item_id": sid,
                        "code": "",
                        "method": "scan",
                        "result": "ok" if roll > 0.1 else "no_access",
                        "answers": {},
                        "round_id": str(signage.id),
                    }
                )
                if len(checks) >= 50_000:
                    db.session.execute(sa.insert(Check), checks)
                    checks = []
    if checks:
        db.session.execute(sa.insert(Check), checks)
    db.session.execute(sa.insert(RoundWindow), windows)
    db.session.commit()
    return estate, now, time.perf_counter() - started


def rows() -> list[Row]:
    out = []
    with bench_app() as _app:
        estate, now, build_s = _build(random.Random(8))
        day = datetime.now(ZoneInfo(estate.timezone)).date() - timedelta(days=1)
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Check))

        def one_day():
            body = service.as_api(estate, day, service.coverage(db.session, estate, day, now))
            db.session.commit()
            return json.dumps(body)

        def trend():
            rows = service.trend(db.session, estate, day, 30, now)
            db.session.commit()
            return rows

        day_s = best_of(one_day, 5)
        trend_s = best_of(trend, 3)
        out.append(
            Row(
                f"coverage, one day ({SIGNS:,} signs, {count:,} checks over {DAYS} days)",
                day_s * 1000,
                "ms",
                target="< 500 ms",
                met=day_s < 0.5,
            )
        )
        out.append(
            Row(
                "coverage, 30-day trend (same estate)",
                trend_s * 1000,
                "ms",
                target="< 5000 ms",
                met=trend_s < 5,
            )
        )
        out.append(Row("building the history (bulk inserts, not a target)", build_s, "s"))
    return out
