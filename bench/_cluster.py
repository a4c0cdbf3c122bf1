"""The load bench's cluster, all on this machine's loopback: a fresh PostgreSQL database, the
estates and patrollers written in bulk, and gunicorn instances (deploy/gunicorn.conf.py, as
production runs it) sharing that database, Redis and one blob folder.

A multi-instance harness for the tests (N app processes + worker + S3) was being written beside
this one (branch `scale`) and was not on main yet: when it lands, `Instance` can give way to it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pinned(cpus: str | None) -> list[str]:
    """``taskset -c CPUS`` when asked for and available (else nothing)."""
    if cpus and Path("/usr/bin/taskset").exists() and len(os.sched_getaffinity(0)) > 1:
        return ["taskset", "-c", cpus]
    return []


class Instance:
    """One gunicorn (deploy/gunicorn.conf.py) in a process group of its own, so that killing it
    takes its workers too — as a machine or container dying would."""

    def __init__(self, database_url: str, blob_dir: Path, log_dir: Path, name: str, cpus=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        env = {
            **os.environ,
            "ROUNDS_ENV": "production",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS,
            "JOBS_QUEUE_NAME": f"rounds-load-{os.getpid()}",
            "BLOB_DIR": str(blob_dir),
            "ROUNDS_INSTANCE": str(log_dir / f"{name}-instance"),
            "PUBLIC_BASE_URL": "https://rounds.example.com",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "LOG_FORMAT": "json",
            # deploy/nginx.conf's one hop: the phones say their own address (bench/_phones.py).
            "TRUSTED_PROXY_HOPS": os.environ.get("LOAD_BENCH_PROXY_HOPS", "1"),
        }
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [*pinned(cpus), gunicorn, "--config", str(ROOT / "deploy" / "gunicorn.conf.py")],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_healthy(self, timeout_s: float = 120) -> None:
        """Poll /healthz until a worker answers 200 (a readiness wait, not a measurement)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.url + "/healthz", timeout=5) as response,  # noqa: S310
            ):
                if response.status == 200:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn never answered:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once (no graceful anything)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.kill()

    def cpu_seconds(self) -> float:
        """CPU time of the master and its live workers so far (reaped ones in the master's
        children's time), from /proc; 0 where there is none."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                pid, ppid = int(stat.parent.name), int(fields[1])
                if pid == self.process.pid:
                    total += sum(int(f) for f in fields[11:15])  # its own and reaped workers'
                elif ppid == self.process.pid:
                    total += int(fields[11]) + int(fields[12])
        return total / tick

    def served(self, since: datetime) -> dict[str, list[float]]:
        """The app's own time per request (its access log's ``duration_ms``: from the request's
        start in the worker to its answer, no waiting for a worker) by route, since ``since``."""
        out: dict[str, list[float]] = {}
        for line in self.log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError, KeyError, TypeError):
                entry = json.loads(line)
                if entry.get("logger") != "rounds.access":
                    continue
                if datetime.fromisoformat(entry["time"]) >= since:
                    out.setdefault(entry["route"], []).append(float(entry["duration_ms"]))
        return out


@contextlib.contextmanager
def instances(database_url: str, work: Path, n: int, cpus: str | None) -> Iterator[list]:
    """``n`` instances on one database and one blob folder, each healthy before it is given."""
    blob_dir = work / "blobs"
    blob_dir.mkdir(exist_ok=True)
    started = [Instance(database_url, blob_dir, work, f"app{i}", cpus) for i in range(n)]
    try:
        for one in started:
            one.wait_healthy()
        yield started
    finally:
        for one in started:
            one.stop()
