"""The load bench's cluster, all on this machine's loopback: a fresh PostgreSQL database, the
estates and patrollers written in bulk, and gunicorn instances (deploy/gunicorn.conf.py, as
production runs it) sharing that database, Redis and one blob folder.

The instances are tests/multi/cluster.py's (the multi-instance deployment the tests start),
without S3: one blob folder, as the bench counts the photos' files.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
# The server the bench makes its databases on (PostgreSQL's trust login on loopback).
PG_ADMIN = os.environ.get("LOAD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("LOAD_BENCH_REDIS", "redis://127.0.0.1:6379/13")
SECRET = "load-bench-secret-" + "x" * 32
PASSWORD = "patrol-load-bench"  # noqa: S105 - the bench's own throwaway accounts


def missing_services() -> str | None:
    """What the load bench needs and cannot reach (PostgreSQL, Redis), said in a sentence."""
    try:
        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"no PostgreSQL at {PG_ADMIN} (LOAD_BENCH_PG): {exc}".strip()
    try:
        redis.Redis.from_url(REDIS, socket_timeout=3).ping()
    except redis.RedisError as exc:
        return f"no Redis at {REDIS} (LOAD_BENCH_REDIS): {exc}"
    return None


def sa_url(name: str) -> str:
    """The app's DATABASE_URL for database ``name`` on the bench's server."""
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def fresh_database(name: str) -> str:
    """Drop and create database ``name``; its SQLAlchemy URL."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return sa_url(name)


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(name: str) -> bool:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()


@dataclass
class Phone:
    """One patroller's phone as the seed leaves it: logged in on an earlier day (its device
    token), its last pull's cursor, and the estate it patrols."""

    username: str
    user_id: int
    estate_id: int
    device_id: str
    token: str
    cursor: str


def seed(estates: int, units: int, patrollers: int) -> tuple[list[Phone], dict]:
    """In the app context of the fresh database: ``estates`` estates of ``units`` units (keys
    as many, a sign per ten units) with the default rounds, and ``patrollers`` patrollers spread
    over them, every one with a device and the cursor its phone holds after its last pull.
    Returns the phones and, per estate, what ops name: {"units", "signs", "rounds"}."""
    from bench.bench_sync import _estate
    from sync.pull import pull
    from webapp.extensions import db
    from webapp.models import Device, Estate, LabelCode, User
    from webapp.models.accounts import _hasher
    from webapp.rounds import service

    s = db.session
    made = [_estate(units=units, keys=units, signs=max(1, units // 10)) for _ in range(estates)]
    ids = [e.id for e in made]
    catalogue: dict[int, dict] = {}
    for estate_id in ids:
        estate = s.get(Estate, estate_id)
        templates = {t.kind: t for t in service.ensure_defaults(s, estate)}
        codes = s.execute(
            sa.select(LabelCode.item_type, LabelCode.code).where(
                LabelCode.estate_id == estate_id, LabelCode.active
            )
        ).all()
        catalogue[estate_id] = {
            "units": [c for kind, c in codes if kind == "unit"],
            "signs": [c for kind, c in codes if kind == "sign"],
            "rounds": {k: (str(t.id), t.checklist_version) for k, t in templates.items()},
        }
    s.commit()
    # One password hash for all (argon2 is slow on purpose; the login is not what is measured).
    shared_hash = _hasher.hash(PASSWORD)
    people, devices = [], []
    for n in range(patrollers):
        user = User(username=f"load{n:03d}", role="patroller", display_name=f"巡查員{n:03d}")
        user.password_hash = shared_hash
        user.estates = [s.get(Estate, ids[n % len(ids)])]
        device, token = Device.issue(user, f"巡查手機 {n:03d}")
        s.add_all([user, device])
        people.append(user)
        devices.append((device, token))
    s.commit()
    # Each estate's phones pulled yesterday: the cursor a full pull ends on.
    cursors = {}
    for estate_id in ids:
        cursor, now = None, datetime.now(UTC)
        while True:
            page = pull(s, [estate_id], cursor, 1000, now, SECRET)
            s.commit()
            cursor = page.cursor
            if not page.has_more:
                break
        cursors[estate_id] = cursor
    phones = [
        Phone(
            username=u.username,
            user_id=u.id,
            estate_id=u.estates[0].id,
            device_id=d.id,
            token=token,
            cursor=cursors[u.estates[0].id],
        )
        for u, (d, token) in zip(people, devices, strict=True)
    ]
    return phones, catalogue


def backend_cpu(database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to ``database``, by pid (from
    /proc: the bench's server runs on this host; {} where /proc cannot tell)."""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
            ).fetchall()
        ]
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return out


def backend_cpu_since(before: dict[int, float], database: str) -> float:
    """The CPU seconds ``database``'s backends spent since ``before`` (backend_cpu), counting
    the backends alive now (one that ended in between is not counted: a floor)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in backend_cpu(database).items())


def host_cpu() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole host so far, every core (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields[:8]) - idle) / tick, sum(fields[:8]) / tick


def pinned(cpus: str | None) -> list[str]:
    """``taskset -c CPUS`` when asked for and available (else nothing)."""
    if cpus and Path("/usr/bin/taskset").exists() and len(os.sched_getaffinity(0)) > 1:
        return ["taskset", "-c", cpus]
    return []


def _children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid`` (gunicorn's workers), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


class App:
    """One instance of tests/multi/cluster.py's deployment, with what the load bench asks of
    it: its URL, a SIGKILL of master and workers at once (as a machine dying), its CPU time
    and the app's own time per request from its access log."""

    def __init__(self, instance):
        self.instance = instance
        self.url = f"http://127.0.0.1:{instance.port}"

    @property
    def pid(self) -> int:
        return self.instance.process.pid

    def pin(self, cpus: str | None) -> None:
        """Hold master and workers to ``cpus`` (workers forked later inherit it)."""
        if pinned(cpus):
            wanted = {int(c) for c in cpus.split(",")}
            for pid in (self.pid, *_children(self.pid)):
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(pid, wanted)

    def kill(self) -> None:
        """SIGKILL the master and every worker at once (no graceful anything)."""
        for pid in (*_children(self.pid), self.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.instance.process.wait()

    def cpu_seconds(self) -> float:
        """CPU time of the master and its live workers so far (reaped ones in the master's
        children's time), from /proc; 0 where there is none."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in (self.pid, *_children(self.pid)):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                # utime, stime (and for the master cutime, cstime: its reaped workers')
                total += sum(int(f) for f in fields[11 : 15 if pid == self.pid else 13])
        return total / tick

    def served(self, since: datetime) -> dict[str, list[float]]:
        """The app's own time per request (its access log's ``duration_ms``: from the request's
        start in the worker to its answer, no waiting for a worker) by route, since ``since``."""
        out: dict[str, list[float]] = {}
        for line in self.instance.log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError, KeyError, TypeError):
                entry = json.loads(line)
                if entry.get("logger") != "rounds.access":
                    continue
                if datetime.fromisoformat(entry["time"]) >= since:
                    out.setdefault(entry["route"], []).append(float(entry["duration_ms"]))
        return out


@contextlib.contextmanager
def instances(database_url: str, work: Path, n: int, cpus: str | None) -> Iterator[list[App]]:
    """``n`` instances (tests/multi/cluster.py: deploy/gunicorn.conf.py, 5 workers each as on
    2 cores) on one database, Redis and one blob folder, with the bench's secret (the seed's
    cursors are signed with it) and JSON access logs (their ``duration_ms``)."""
    from tests.multi.cluster import Cluster

    blob_dir = work / "blobs"
    blob_dir.mkdir(exist_ok=True)
    extra = {
        "SECRET_KEY": SECRET,
        "BLOB_DIR": str(blob_dir),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "info",
        # deploy/nginx.conf's one hop: the phones say their own address (bench/_phones.py).
        "TRUSTED_PROXY_HOPS": os.environ.get("LOAD_BENCH_PROXY_HOPS", "1"),
    }
    with Cluster(database_url, REDIS, work, s3=False, extra_env=extra) as cluster:
        apps = [App(one) for one in cluster.start_apps(n, workers_each=WORKERS)]
        for app in apps:
            app.pin(cpus)
        yield apps


# deploy/gunicorn.conf.py's own count on this machine (2 x cores + 1).
WORKERS = 2 * (os.cpu_count() or 1) + 1
