"""The app's CPU per reconnecting phone, in-process: what bounds the load rows (bench_load).

One phone's reconnect, as bench/_phones.py sends it to the instances: its 2 photos (PUT
/api/blobs, real 1600 × 1200 JPEGs of ~200 KB), its outbox of 50 ops in one push, and a pull
from its cursor until ``has_more`` is false — through the app as production configures it
(``ROUNDS_ENV=production``, JSON access logs, Redis for the limiter, the review cache and the
jobs, PostgreSQL) with Flask's test client, so no HTTP server or network is in the figure.
The baseline is the same work handed straight to ``sync/`` (``photos.store``, ``merge.push``,
``pull``, each committed) in the same run, phone by phone in turn with the measured ones: the
ratio is what the web layer adds (auth, JSON, compression, logs, metrics, the device row).

CPU time of this process only (``time.process_time``): the database's own CPU is not in it;
the SQL statements per phone are counted beside it. Needs PostgreSQL and Redis on loopback
(bench/_cluster.py); without them it says so and prints no rows.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench import _cluster
from bench.bench_load import phone_plans
from bench.common import Row

PHONES = int(os.environ.get("PHONECPU_BENCH_PHONES", 16))  # per path (HTTP, direct)
WARM = 4  # phones first, not measured: each path's first requests (imports, caches)
# Ten phones to an estate, as the load bench's 200 phones over 20 estates: what each pulls
# is what its estate's other phones pushed before it.
ESTATES, UNITS = 4, 200
# 200 phones in 20 s on 2 cores, the app keeping at most one core's worth of them: the
# other core is PostgreSQL's, Redis's and the phones' (docs/load.md).
BUDGET_MS = 100


@contextlib.contextmanager
def _environment(values: dict):
    """``os.environ`` with ``values`` set, as it was afterwards."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _access_logs_to(path: Path):
    """The app's log lines (JSON, INFO: one per request) written as gunicorn's are, to a file;
    the bench runner's own log silencing put back afterwards."""
    disabled = logging.root.manager.disable
    logging.disable(logging.NOTSET)
    stderr = sys.stderr
    with path.open("w") as sink:
        sys.stderr = sink
        try:
            yield
        finally:
            sys.stderr = stderr
            logging.disable(disabled)


def _backend_cpu(pids: set[int]) -> float:
    """CPU seconds of these PostgreSQL backends so far (from /proc: same host), 0 for any gone."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


class Meter:
    """CPU time (this process's, and its database backends') and SQL statements, added up by
    part while ``part`` is set."""

    def __init__(self):
        self.cpu: dict[str, float] = {}
        self.db_cpu: dict[str, float] = {}
        self.sql: dict[str, int] = {}
        self.part: str | None = None
        self.backends: set[int] = set()  # the pids of the app's database connections

    def count(self, *_args) -> None:
        if self.part is not None:
            self.sql[self.part] = self.sql.get(self.part, 0) + 1

    def connected(self, dbapi_connection, _record) -> None:
        """A new pooled connection: its backend's pid, whose CPU is the database's share."""
        pid = getattr(getattr(dbapi_connection, "info", None), "backend_pid", None)
        if pid:
            self.backends.add(pid)

    @contextlib.contextmanager
    def measure(self, part: str):
        self.part, started = part, time.process_time()
        db_started = _backend_cpu(self.backends)
        try:
            yield
        finally:
            self.cpu[part] = self.cpu.get(part, 0.0) + time.process_time() - started
            spent = _backend_cpu(self.backends) - db_started
            self.db_cpu[part] = self.db_cpu.get(part, 0.0) + spent
            self.part = None


def _via_app(app, meter: Meter, plan: dict) -> None:
    """One phone through the app: photos, push, pull (the app's CPU only, not the client's)."""
    import brotli

    client = app.test_client()
    headers = {
        "Authorization": f"Bearer {plan['token']}",
        "Accept-Encoding": "gzip, deflate, br",  # as the phones (Locust) ask
        "X-Forwarded-For": f"10.22.0.{random.randint(1, 250)}",
        "X-Forwarded-Proto": "https",
    }
    inner = app.wsgi_app

    def timed(part):
        def wsgi(environ, start_response):
            with meter.measure(part):
                return list(inner(environ, start_response))

        return wsgi

    def doc(response):
        body = response.get_data()
        if response.headers.get("Content-Encoding") == "br":
            body = brotli.decompress(body)
        return json.loads(body)

    try:
        app.wsgi_app = timed("http photo")
        for photo in plan["photos"]:
            response = client.put(
                f"/api/blobs/{photo['sha256']}",
                data=Path(photo["path"]).read_bytes(),
                headers=headers | {"Content-Type": "image/jpeg"},
            )
            assert response.status_code == 201, response.get_data()
        app.wsgi_app = timed("http push")
        envelope = {"device_id": plan["device_id"], "pending": 0, "ops": plan["ops"]}
        response = client.post("/api/sync/push", json=envelope, headers=headers)
        assert response.status_code == 200, response.get_data()
        assert {r["status"] for r in doc(response)["results"]} == {"applied"}
        app.wsgi_app = timed("http pull")
        cursor = plan["cursor"]
        while True:
            response = client.get(f"/api/sync/pull?limit=1000&cursor={cursor}", headers=headers)
            assert response.status_code == 200, response.get_data()
            page = doc(response)
            cursor = page["cursor"]
            if not page["has_more"]:
                break
    finally:
        app.wsgi_app = inner


def _direct(app, meter: Meter, plan: dict) -> None:
    """The same phone's work handed straight to sync/, each step committed."""
    from sync import blobs, merge, photos
    from sync.pull import pull
    from webapp.extensions import db
    from webapp.models import Device, User
    from webapp.models.types import utcnow

    with app.app_context():
        session = db.session
        user = session.get(User, plan["user_id"])
        estate_ids = sorted(e.id for e in user.estates)
        assert session.get(Device, plan["device_id"]) is not None
        store = blobs.from_config(app.config)
        for photo in plan["photos"]:
            data = Path(photo["path"]).read_bytes()
            with meter.measure("direct photo"):
                photos.store(session, store, photo["sha256"], data, "image/jpeg", user.id, utcnow())
                session.commit()
        actor = merge.Actor(user_id=user.id, estate_ids=estate_ids, device_id=plan["device_id"])
        with meter.measure("direct push"):
            results = merge.push(session, actor, plan["ops"], utcnow())
            session.commit()
        assert {r["status"] for r in results} == {"applied"}
        cursor = plan["cursor"]
        with meter.measure("direct pull"):
            while True:
                page = pull(session, estate_ids, cursor, 1000, utcnow(), app.config["SECRET_KEY"])
                session.commit()
                cursor = page.cursor
                if not page.has_more:
                    break
        session.remove()


def rows() -> list[Row]:
    missing = _cluster.missing_services()
    if missing:
        print(f"  phonecpu: skipped — {missing}", file=sys.stderr)
        return []
    name = f"rounds_phonecpu_{os.getpid()}"
    url = _cluster.fresh_database(name)
    try:
        with tempfile.TemporaryDirectory(prefix="rounds-phonecpu-") as tmp:
            return _run(url, Path(tmp))
    finally:
        _cluster.drop_database(name)


def _run(url: str, tmp: Path) -> list[Row]:
    env = {
        # tests/multi/cluster.py's instance environment, as the load bench runs it.
        "ROUNDS_ENV": "production",
        "SECRET_KEY": _cluster.SECRET,
        "DATABASE_URL": url,
        "REDIS_URL": _cluster.REDIS,
        "JOBS_QUEUE_NAME": f"phonecpu-{os.getpid()}",
        "ROUNDS_INSTANCE": str(tmp / "instance"),
        "BLOB_DIR": str(tmp / "blobs"),
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "SECURE_COOKIES": "false",
        "TRUSTED_PROXY_HOPS": "1",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "info",
    }
    from flask_migrate import upgrade

    from webapp import create_app
    from webapp.extensions import db

    with _environment(env), _access_logs_to(tmp / "app.log"):
        app = create_app()
        with app.app_context():
            upgrade()
            phones, catalogue = _cluster.seed(ESTATES, UNITS, 2 * (WARM + PHONES))
            db.session.remove()
            engine = db.engine
        plans = phone_plans(phones, catalogue, tmp / "photos", random.Random(7), "cpu")
        meter = Meter()
        engine.dispose()  # connections from here on are seen opening (their backends' pids)
        sa.event.listen(engine, "connect", meter.connected)
        sa.event.listen(engine, "before_cursor_execute", meter.count)
        try:
            for n, plan in enumerate(plans[: 2 * WARM]):
                (_via_app if n % 2 == 0 else _direct)(app, Meter(), plan)
            # Turn about, so both paths see the same feed growing and the same host.
            for n, plan in enumerate(plans[2 * WARM :]):
                (_via_app if n % 2 == 0 else _direct)(app, meter, plan)
        finally:
            sa.event.remove(engine, "before_cursor_execute", meter.count)
            sa.event.remove(engine, "connect", meter.connected)
            with app.app_context():
                db.engine.dispose()
    return _table(meter)


def _table(meter: Meter) -> list[Row]:
    def ms(key):
        return meter.cpu.get(key, 0.0) / PHONES * 1000

    parts = ("photo", "push", "pull")
    app_ms = sum(ms(f"http {p}") for p in parts)
    direct_ms = sum(ms(f"direct {p}") for p in parts)
    db_app = sum(meter.db_cpu.get(f"http {p}", 0.0) for p in parts) / PHONES * 1000
    db_direct = sum(meter.db_cpu.get(f"direct {p}", 0.0) for p in parts) / PHONES * 1000
    app_sql = sum(meter.sql.get(f"http {p}", 0) for p in parts) / PHONES
    direct_sql = sum(meter.sql.get(f"direct {p}", 0) for p in parts) / PHONES
    what = "2 photos + a push of 50 ops + the pull from its cursor"
    return [
        Row(
            f"phone CPU, app: {what} (in-process, PostgreSQL)",
            app_ms,
            "ms",
            "the same straight into sync/",
            direct_ms,
            target=f"<= {BUDGET_MS} ms",
            met=app_ms <= BUDGET_MS,
        ),
        Row("phone CPU: SQL statements per phone", app_sql, "", "straight into sync/", direct_sql),
        Row(
            "phone CPU, the database's (its backends, /proc; 10 ms ticks)",
            db_app,
            "ms",
            "straight into sync/",
            db_direct,
        ),
        Row(
            "phone CPU: a photo upload (~200 KB JPEG, cleaned)",
            ms("http photo") / 2,
            "ms",
            "photos.store",
            ms("direct photo") / 2,
        ),
        Row(
            "phone CPU: the push of 50 ops", ms("http push"), "ms", "merge.push", ms("direct push")
        ),
        Row(
            "phone CPU: the pull from its cursor",
            ms("http pull"),
            "ms",
            "pull()",
            ms("direct pull"),
        ),
    ]
