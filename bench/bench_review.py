"""Review rows: p50/p95 server time of the dashboard, the findings list and a unit's timeline.

The estates and their registry come from ``build_demo`` (5 x 2,000 units by default); a year of
patrol history is then written straight into the tables in bulk at company density — every
unit under renovation checked daily, vacant units every third day, every sign twice a day,
~15 findings a day per estate walked through the workflow — because pushing that through the
sync merge would take the bench far longer than the queries it measures. Sizes can be set
with REVIEW_BENCH_ESTATES / _UNITS / _DAYS. Times are measured through the test client, so they
are the server's time without the network.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import g

from bench.common import Row, bench_app, fresh_statistics
from webapp.demo import DemoOptions, build_demo
from webapp.extensions import db

ESTATES = int(os.environ.get("REVIEW_BENCH_ESTATES", 5))
UNITS = int(os.environ.get("REVIEW_BENCH_UNITS", 2000))
DAYS = int(os.environ.get("REVIEW_BENCH_DAYS", 365))
REGIONAL = "regional supervisor"
CATEGORIES = ["漏水", "照明故障", "門窗損壞", "雜物堆放", "電梯故障", "牆面剝落", "排水堵塞"]


def _history(days: int, seed: int = 7) -> dict[str, int]:
    """Write ``days`` of checks, findings and workflow steps for every estate, in bulk."""
    from webapp.models import Estate, Sign, Unit, User
    from webapp.models.review import DEPARTMENTS, FindingEvent, FindingState
    from webapp.models.sync import Check, Finding
    from webapp.models.types import utcnow

    rng = random.Random(seed)
    s = db.session
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    # Days are the estates' calendar days, so the checks fall in their round windows.
    zone = ZoneInfo(s.scalar(sa.select(Estate.timezone).order_by(Estate.id).limit(1)))
    today = now.astimezone(zone).date()
    patrols = list(s.scalars(sa.select(User.id).where(User.role == "patroller")))
    boss = s.scalar(sa.select(User.id).where(User.role == "supervisor"))
    units = s.execute(sa.select(Unit.id, Unit.estate_id, Unit.status)).all()
    signs = s.execute(sa.select(Sign.id, Sign.estate_id)).all()
    counts = {"checks": 0, "findings": 0, "steps": 0}
    check_rows, finding_rows, state_rows, step_rows = [], [], [], []

    def flush():
        for table, batch in (
            (Check.__table__, check_rows),
            (Finding.__table__, finding_rows),
            (FindingState.__table__, state_rows),
            (FindingEvent.__table__, step_rows),
        ):
            if batch:
                s.execute(sa.insert(table), batch)
                batch.clear()

    def check(at, estate_id, kind, item_id):
        if at > now:  # today's rounds so far, not the rest of the day
            return
        check_rows.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "op_id": str(uuid.UUID(int=rng.getrandbits(128))),
                "user_id": rng.choice(patrols),
                "occurred_at": at,
                "received_at": at,
                "clock_skewed": False,
                "retired_code": False,
                "estate_id": estate_id,
                "item_type": kind,
                "item_id": item_id,
                "code": "",
                "method": "scan",
                "result": "ok" if rng.random() < 0.95 else "issue",
                "answers": {},
            }
        )

    estates = sorted({e for _u, e, _s in units})
    for day in range(days, -1, -1):
        base = datetime.combine(today - timedelta(days=day), dtime.min, zone).astimezone(UTC)
        for uid, eid, status in units:
            if status == "renovating" or (status == "vacant" and (uid + day) % 3 == 0):
                check(base + timedelta(hours=9, minutes=rng.randint(0, 180)), eid, "unit", uid)
        for sid, eid in signs:
            check(base + timedelta(hours=8, minutes=rng.randint(0, 90)), eid, "sign", sid)
            check(base + timedelta(hours=15, minutes=rng.randint(0, 90)), eid, "sign", sid)
        for eid in estates:
            estate_units = [u for u in units if u[1] == eid]
            for _ in range(rng.randint(10, 20)):
                uid = rng.choice(estate_units)[0]
                fid = str(uuid.UUID(int=rng.getrandbits(128)))
                at = base + timedelta(hours=rng.randint(8, 18))
                if at > now:
                    continue
                age = day
                status = "open"
                if age > 1 and rng.random() < 0.9:
                    status = rng.choice(["dispatched", "fixed", "closed", "closed", "closed"])
                    if age < 14:
                        status = rng.choice(["dispatched", "fixed", "reinspected"])
                finding_rows.append(
                    {
                        "id": fid,
                        "op_id": str(uuid.UUID(int=rng.getrandbits(128))),
                        "user_id": rng.choice(patrols),
                        "occurred_at": at,
                        "received_at": at,
                        "clock_skewed": False,
                        "retired_code": False,
                        "estate_id": eid,
                        "item_type": "unit",
                        "item_id": uid,
                        "severity": rng.choice(["low", "medium", "medium", "high", "critical"]),
                        "category": rng.choice(CATEGORIES),
                        "note": "巡查發現，已拍照記錄",
                        "status": status,
                    }
                )
                if status != "open":
                    dept = rng.choice(DEPARTMENTS)
                    due = at + timedelta(days=rng.choice([2, 3, 7, 14]))
                    state_rows.append(
                        {
                            "finding_id": fid,
                            "estate_id": eid,
                            "status": status,
                            "department": dept,
                            "due_at": due,
                            "updated_at": at,
                        }
                    )
                    path = {"dispatched": ["dispatched"], "fixed": ["dispatched", "fixed"]}.get(
                        status, ["dispatched", "fixed", "reinspected", "closed"]
                    )
                    if status == "reinspected":
                        path = path[:3]
                    prev = "open"
                    for i, step in enumerate(path):
                        step_rows.append(
                            {
                                "finding_id": fid,
                                "estate_id": eid,
                                "at": at + timedelta(hours=2 + 24 * i),
                                "actor_id": boss,
                                "kind": "transition",
                                "from_status": prev,
                                "to_status": step,
                                "department": dept if step == "dispatched" else None,
                                "body": "",
                            }
                        )
                        prev = step
        counts["checks"] += len(check_rows)
        counts["findings"] += len(finding_rows)
        counts["steps"] += len(step_rows)
        flush()
        if day % 30 == 0:
            s.commit()
    s.commit()
    return counts


def build(estates: int, units: int, days: int) -> tuple[float, float, dict[str, int]]:
    """The demo registry of ``estates`` x ``units`` and ``days`` of history, in the app
    context's database, with fresh statistics: (registry seconds, history seconds, counts)."""
    started = time.perf_counter()
    build_demo(db.session, DemoOptions(estates=estates, units_per_estate=units, days=0))
    db.session.commit()
    registry_s = time.perf_counter() - started
    started = time.perf_counter()
    counts = _history(days)
    history_s = time.perf_counter() - started
    fresh_statistics()
    return registry_s, history_s, counts


def regional_supervisor() -> None:
    """Every estate on the default rounds (the demo sets them up for its first two), and the
    regional supervisor ``boss``, who sees every estate (made once; a database `flask
    demo-data` built gets one too, so its pages can be timed the same way)."""
    from webapp.models import Estate, User
    from webapp.rounds import service

    for estate in db.session.scalars(sa.select(Estate)):
        service.ensure_defaults(db.session, estate)
    db.session.commit()
    if db.session.scalar(sa.select(User).where(User.username == "boss")) is None:
        boss = User(username="boss", role="supervisor", display_name="區域經理")
        boss.set_password("boss-demo")
        boss.estates = list(db.session.scalars(sa.select(Estate)))
        db.session.add(boss)
        db.session.commit()


def login(client, username="supervisor"):
    from tests.conftest import csrf_token_from

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post(
        "/login",
        data={"username": username, "password": f"{username}-demo", "csrf_token": token},
    )
    g.pop("csrf_token", None)


def page_times(client, url: str, n: int, headers=None) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``n`` requests (SQLite runs in this process, so CPU time holds
    the queries too, and is what a busy shared host disturbs least)."""
    client.get(url, headers=headers)  # warm
    wall, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert response.status_code == 200, (url, response.status_code)
    return wall, cpu


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def percentile_rows(
    label: str,
    size: str,
    times: list[float],
    base_name: str,
    base: list[float],
    target_ms: float | None = 200,
) -> list[Row]:
    """p50 and p95 of a page's times in ms against its baseline's, p95 held to ``target_ms``
    (none: no target)."""
    out = []
    for pname, p in (("p50", 0.5), ("p95", 0.95)):
        value = pct(times, p)
        held = pname == "p95" and target_ms is not None
        out.append(
            Row(
                f"{label} {pname} {size}",
                value * 1000,
                "ms",
                baseline_name=f"{base_name} {pname}",
                baseline_value=pct(base, p) * 1000,
                target=f"<= {target_ms:g} ms" if held else "",
                met=value * 1000 <= target_ms if held else None,
            )
        )
    return out


def rows() -> list[Row]:
    from webapp.models import LabelCode, Unit
    from webapp.models.sync import Check

    out = []
    size = f"{ESTATES} x {UNITS:,} x {DAYS} d"
    # REVIEW_BENCH_DB=<url> reuses a database an earlier run built (same sizes), or one that
    # `flask demo-data --estates 5 --units-per-estate 2000 --days 365` built: nothing is
    # written but the regional supervisor (if missing), and only the pages are timed.
    prebuilt = os.environ.get("REVIEW_BENCH_DB")
    with bench_app(**({"SQLALCHEMY_DATABASE_URI": prebuilt} if prebuilt else {})) as app:
        registry_s = history_s = 0.0
        counts = {"checks": 0, "findings": 0, "steps": 0}
        if not prebuilt:
            registry_s, history_s, counts = build(ESTATES, UNITS, DAYS)
        regional_supervisor()
        # The busiest unit the supervisor sees (ties — units checked every day — by id, so
        # SQLite and PostgreSQL time the same one).
        from webapp.models import User

        theirs = db.session.scalar(sa.select(User).where(User.username == "supervisor"))
        busiest = db.session.execute(
            sa.select(Check.item_id, sa.func.count())
            .join(Unit, Unit.id == Check.item_id)
            .where(Check.item_type == "unit", Unit.estate_id.in_(theirs.estate_ids))
            .group_by(Check.item_id)
            .order_by(sa.func.count().desc(), Check.item_id)
            .limit(1)
        ).first()
        code = db.session.scalar(
            sa.select(LabelCode.code).where(
                LabelCode.item_type == "unit", LabelCode.item_id == busiest[0], LabelCode.active
            )
        )
        assert db.session.get(Unit, busiest[0]) is not None

        if prebuilt:
            from webapp.models.sync import Finding

            counts["findings"] = db.session.scalar(sa.select(sa.func.count(Finding.id)))
        client = app.test_client()
        login(client)
        n = 40
        hx = {"HX-Request": "true"}
        # The baseline every page is set against, measured in this run on this host: the
        # framework's floor (a logged-in request that reads nothing), so ratios are comparable
        # across runs on a busy or quiet machine. The cached dashboard's baseline is the same
        # dashboard computed afresh (cache off).
        floor = page_times(client, "/healthz", n)
        cases = [
            ("dashboard, the supervisor's estate", "/", None, False),
            ("dashboard panel (htmx poll)", "/review/dashboard", hx, False),
            ("findings list, page 1 (not closed)", "/review/findings", None, True),
            ("findings list, all, page 40", "/review/findings?status=all&page=40", hx, True),
            ("findings list, high + overdue", "/review/findings?severity=high&overdue=1", hx, True),
            (f"unit timeline, busiest unit ({busiest[1]} checks)", f"/q/{code}", None, True),
        ]
        cases += [
            (f"{REGIONAL}: dashboard, all {ESTATES} estates", "/", None, False),
            (f"{REGIONAL}: dashboard panel (htmx poll)", "/review/dashboard", hx, False),
            (f"{REGIONAL}: findings list, all {ESTATES} estates", "/review/findings", hx, True),
            (f"{REGIONAL}: vacant units table page", "/review/tables/vacant", None, True),
            # Loaded by the dashboard on its own request, kept a minute (webapp/review/views.py).
            (f"{REGIONAL}: today's round windows", "/review/coverage-today", hx, False),
        ]
        switched = False
        for name, url, headers, plain in cases:
            if name.startswith(REGIONAL) and not switched:
                # bench_app keeps one app context pushed, so g holds the logged-in user
                # across requests: drop it, and log the other user in on a fresh client.
                g.pop("_login_user", None)
                g.pop("csrf_token", None)
                client = app.test_client()
                login(client, "boss")
                switched = True
            runs = []
            if plain:
                runs.append((name, page_times(client, url, n, headers), floor, "GET /healthz"))
            else:
                app.config["REVIEW_CACHE"] = False
                cold = page_times(client, url, n, headers)
                app.config["REVIEW_CACHE"] = True
                warm = page_times(client, url, n, headers)
                runs.append((f"{name}, computed (no cache)", cold, floor, "GET /healthz"))
                runs.append((f"{name}, polled (30 s cache)", warm, cold, "same, no cache"))
            for label, (wall, cpu), (base_wall, base_cpu), base_name in runs:
                for kind, times, base in (("", wall, base_wall), (" CPU", cpu, base_cpu)):
                    out += percentile_rows(
                        f"{label}{kind}", f"[{size}]", times, f"{base_name}{kind}", base
                    )
        csv_times, _cpu = page_times(client, "/review/findings.csv?status=all", 3)
        out.append(
            Row(
                f"findings CSV export, all {counts['findings']:,} [{size}]",
                statistics.median(csv_times) * 1000,
                "ms",
            )
        )
        if prebuilt:
            return out
        out.append(Row(f"build registry (demo, {ESTATES} x {UNITS:,} units)", registry_s, "s"))
        out.append(
            Row(
                f"write {counts['checks']:,} checks, {counts['findings']:,} findings, "
                f"{counts['steps']:,} steps ({DAYS} d)",
                history_s,
                "s",
            )
        )
    return out
