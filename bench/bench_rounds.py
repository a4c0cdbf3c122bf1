"""Rounds rows: one day's coverage and a 30-day trend for an estate with 2,000 signs and 365
days of signage history (server time: the service and the JSON, no HTTP); and the supervisor's
coverage page for a week of a 221-unit estate with a year of history (GET through the test
client), with its proof-of-presence reads (shares, far fixes, fast sequences) timed alone, both
against the coverage service for the same week in the same run."""

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
from webapp.models import Building, Estate, Sign, Unit, User
from webapp.models.rounds import RoundWindow
from webapp.models.sync import Check
from webapp.rounds import presence, rules, service

SIGNS = 2000
DAYS = 365
PAGE_UNITS = 221  # the coverage page's estate (the demo's layout)


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


def _page_history(estate: Estate, rng: random.Random) -> int:
    """A year of the 221-unit estate's rounds, as its phones would have sent them: every sign
    in both signage windows, every unit under renovation daily, every vacant unit weekly (a
    few missed); 93 % scanned, the rest typed or picked (one pick in five with no reason); a
    fix on two checks in three, a quarter of them indoors (40–90 m), one good fix in fifty
    taken from the guard house 250 m away. Returns the number of checks."""
    templates = {t.kind: t for t in service.ensure_defaults(db.session, estate)}
    user = db.session.scalar(sa.select(User.id).where(User.role == "patroller"))
    zone = ZoneInfo(estate.timezone)
    today = datetime.now(zone).date()
    places: dict[tuple[str, int], tuple[float, float]] = {}
    buildings = db.session.scalars(
        sa.select(Building.id).where(Building.estate_id == estate.id).order_by(Building.id)
    ).all()
    at_building = {
        b: (25.03 + n // 4 * 0.0004, 121.56 + n % 4 * 0.0005) for n, b in enumerate(buildings)
    }
    for kind, model in (("sign", Sign), ("unit", Unit)):
        for item_id, building_id in db.session.execute(
            sa.select(model.id, model.building_id).where(model.estate_id == estate.id)
        ):
            places[(kind, item_id)] = at_building.get(building_id, (25.03, 121.56))
    plans = [
        (templates["signage"], [("sign", i) for i in db.session.scalars(
            sa.select(Sign.id).where(Sign.estate_id == estate.id, Sign.active))]),
        (templates["renovation"], [("unit", i) for i in db.session.scalars(
            sa.select(Unit.id).where(Unit.estate_id == estate.id, Unit.status == "renovating"))]),
        (templates["vacant"], [("unit", i) for i in db.session.scalars(
            sa.select(Unit.id).where(Unit.estate_id == estate.id, Unit.status == "vacant"))]),
    ]  # fmt: skip
    batch: list[dict] = []
    written = 0
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        for template, points in plans:
            schedule = rules.Schedule.from_template(template)
            for window in rules.windows_starting(schedule, day, estate.timezone):
                for item_type, item_id in points:
                    if rng.random() < 0.05:
                        continue
                    at = window.start + timedelta(minutes=rng.randint(5, 230))
                    roll = rng.random()
                    method, reason = "scan", None
                    if roll > 0.93:
                        method = "typed" if roll > 0.975 else "manual"
                        reason = None if roll < 0.94 else "label_unreadable"
                    geo = {"geo_lat": None, "geo_lon": None, "geo_accuracy_m": None}
                    if rng.random() < 0.66:
                        lat, lon = places[(item_type, item_id)]
                        accuracy = (
                            rng.uniform(40, 90) if rng.random() < 0.25 else rng.uniform(4, 25)
                        )
                        if accuracy < 30 and rng.random() < 0.02:
                            lat -= 0.00225  # the guard house
                        geo = {"geo_lat": lat + rng.gauss(0, 0.00005),
                               "geo_lon": lon + rng.gauss(0, 0.00005),
                               "geo_accuracy_m": accuracy}  # fmt: skip
                    batch.append(
                        {
                            "id": str(uuid.UUID(int=rng.getrandbits(128))),
                            "op_id": str(uuid.UUID(int=rng.getrandbits(128))),
                            "user_id": user,
                            "occurred_at": at,
                            "received_at": at + timedelta(minutes=20),
                            "clock_skewed": False,
                            "retired_code": False,
                            "estate_id": estate.id,
                            "item_type": item_type,
                            "item_id": item_id,
                            "code": "",
                            "method": method,
                            "manual_reason": reason,
                            "result": "ok",
                            "answers": {},
                            "round_id": str(template.id),
                            **geo,
                        }
                    )
                    if len(batch) >= 20_000:
                        db.session.execute(sa.insert(Check), batch)
                        written += len(batch)
                        batch = []
    if batch:
        db.session.execute(sa.insert(Check), batch)
        written += len(batch)
    db.session.commit()
    return written


def _page_rows() -> list[Row]:
    """The supervisor's coverage page for a week, and its presence reads alone."""
    from bench.bench_review import login
    from webapp.demo import DemoOptions, build_demo

    with bench_app() as app:
        build_demo(db.session, DemoOptions(estates=1, units_per_estate=PAGE_UNITS, days=0))
        db.session.commit()
        estate = db.session.scalars(sa.select(Estate)).first()
        written = _page_history(estate, random.Random(18))
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        zone = ZoneInfo(estate.timezone)
        day = datetime.now(zone).date() - timedelta(days=1)
        span = [day - timedelta(days=n) for n in range(6, -1, -1)]
        lo = datetime.combine(span[0], datetime.min.time(), zone)
        hi = lo + timedelta(days=7)
        client = app.test_client()
        login(client)
        url = f"/rounds/coverage?estate={estate.id}&date={day.isoformat()}&view=week"
        assert client.get(url).status_code == 200  # opens the week's windows

        selects: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                selects.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", count)
        page = client.get(url)
        sa.event.remove(db.engine, "before_cursor_execute", count)
        assert page.status_code == 200

        def service_only():
            service.coverage_days(db.session, estate, span, datetime.now(UTC))
            db.session.commit()

        def presence_reads():
            presence.shares(db.session, estate, lo, hi)
            presence.far_fixes(db.session, estate, lo, hi)
            service.fast_sequences(db.session, estate, lo, hi)
            db.session.commit()

        def get_page():
            assert client.get(url).status_code == 200

        base_s = best_of(service_only, 5)
        presence_s = best_of(presence_reads, 5)
        page_s = best_of(get_page, 5)
        points = sum(len(w.points) for ws in service.coverage_days(
            db.session, estate, span, datetime.now(UTC)).values() for w in ws)  # fmt: skip
        db.session.commit()
        far = len(presence.far_fixes(db.session, estate, lo, hi))
        return [
            Row(
                f"coverage page, a week of a {PAGE_UNITS}-unit estate ({points:,} cells, "
                f"{written:,} checks over {DAYS} days, {len(selects)} SELECTs, "
                f"{len(page.data) // 1024} KB)",
                page_s * 1000,
                "ms",
                "coverage_days, same week",
                base_s * 1000,
                target="< 1000 ms",
                met=page_s < 1.0,
            ),
            Row(
                f"its presence reads (shares, far fixes: {far}, fast sequences)",
                presence_s * 1000,
                "ms",
                "coverage_days, same week",
                base_s * 1000,
            ),
        ]


def rows() -> list[Row]:
    out = _page_rows()
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
