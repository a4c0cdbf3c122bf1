"""Load rows: phones reconnecting together against two gunicorn instances on PostgreSQL + Redis,
all on this machine's loopback, driven by Locust (bench/_phones.py) on a core of its own.

A fresh database is built for the run (LOAD_BENCH_ESTATES estates of LOAD_BENCH_UNITS units,
LOAD_BENCH_PHONES patrollers spread over them, each phone holding its device token and the
cursor of its last pull), then two instances of deploy/gunicorn.conf.py start on free loopback
ports sharing it, Redis and one blob folder. Every phone pushes LOAD_BENCH_OPS queued ops (checks
with their round's answers; a few issues, each with its finding and a photo) and 2 photos of
~200 KB, then pulls from its cursor until done; the phones are spawned over LOAD_BENCH_SPAWN_S
seconds. Rows: the same phones' figures alone (one phone at a time: the baseline of every
ratio), all at once, and all at once with one instance SIGKILLed halfway (the phones retry on
the other); after each, what the database holds: every op exactly once, every photo stored.
LOAD_BENCH_FRESH=1 makes every phone log in first and pull a full snapshot instead.
The regional dashboard rows are in bench/_regional.py (a database built once and kept).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from bench import _cluster, _regional
from bench._photos import jpeg_variants
from bench.common import Row, bench_app

ESTATES = int(os.environ.get("LOAD_BENCH_ESTATES", 20))
UNITS = int(os.environ.get("LOAD_BENCH_UNITS", 2000))
PHONES = int(os.environ.get("LOAD_BENCH_PHONES", 200))
SPAWN_S = float(os.environ.get("LOAD_BENCH_SPAWN_S", 20))
OPS = int(os.environ.get("LOAD_BENCH_OPS", 50))
ALONE = int(os.environ.get("LOAD_BENCH_ALONE", 10))  # phones of the single-client baseline
WARM = 20  # phones that go first, 10 at a time, so every worker has served before the baseline
FRESH = os.environ.get("LOAD_BENCH_FRESH") == "1"
# The phones get a core of their own; the app, by default, both (as deployed: gunicorn sized
# for 2 cores). LOAD_BENCH_APP_CPUS=0 holds it to the other core (docs/load.md has both runs).
APP_CPUS = os.environ.get("LOAD_BENCH_APP_CPUS") or None
TOOL_CPUS = os.environ.get("LOAD_BENCH_TOOL_CPUS", "1")
ISSUES = 3  # of the ops, this many checks say 有問題, each followed by its finding
PHOTOS = 2


def outbox(estate: dict, rng: random.Random, shas: list[str], now: datetime) -> list[dict]:
    """A phone's queued ops, as its outbox holds them after a round offline: checks of units
    (the vacant-units round's answers) and signs (the signage round's), the last ISSUES signs
    found damaged, each followed by its finding (check_id set, as the app sends it) with a
    photo. Occurred over the last hours, in the estate's offset."""
    zone = datetime.now(UTC).astimezone().tzinfo
    vacant, v_vacant = estate["rounds"]["vacant"]
    signage, v_signage = estate["rounds"]["signage"]
    checks = OPS - ISSUES * 2
    ops, at = [], now - timedelta(hours=3)

    def op(kind, payload):
        nonlocal at
        at += timedelta(seconds=rng.randint(60, 200))
        ops.append(
            {
                "op_id": str(uuid.uuid4()),
                "type": kind,
                "occurred_at": at.astimezone(zone).isoformat(),
                "payload": payload,
            }
        )
        return payload

    for n in range(checks):
        unit = n % 3 != 2
        answers = {"_v": v_vacant} | {k: "yes" for k in ("shut", "utilities_off", "no_leaks")}
        answers |= {k: "yes" for k in ("no_damage", "no_pests", "no_intrusion")}
        op(
            "check.record",
            {
                "id": str(uuid.uuid4()),
                "code": rng.choice(estate["units"] if unit else estate["signs"]),
                "method": "scan",
                "result": "ok",
                "answers": answers if unit else {"_v": v_signage, "state": "in_place"},
                "photos": [],
                "round_id": vacant if unit else signage,
            },
        )
    for n in range(ISSUES):
        photos = [shas[n]] if n < len(shas) else []
        check = op(
            "check.record",
            {
                "id": str(uuid.uuid4()),
                "code": rng.choice(estate["signs"]),
                "method": "scan",
                "result": "issue",
                "answers": {"_v": v_signage, "state": "damaged"},
                "note": "標識破損，已拍照",
                "photos": photos,
                "round_id": signage,
            },
        )
        op(
            "finding.create",
            {
                "id": str(uuid.uuid4()),
                "code": check["code"],
                "severity": "medium",
                "category": "標識問題",
                "note": "標識破損，需更換",
                "photos": photos,
                "check_id": check["id"],
            },
        )
    return ops


@dataclass
class Scenario:
    """What one run of the phones sent, and what it got back."""

    name: str
    phones: list[dict]
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    result: dict = field(default_factory=dict)
    cpu_s: float | None = None  # the instances' CPU time while it ran
    db_cpu_s: float | None = None  # the database backends' (the app's connections)
    host_cpu: tuple[float, float] | None = None  # the host's (busy, all) CPU seconds
    served: dict = field(default_factory=dict)  # route: the app's own ms per request (its log)


def phone_plans(phones, catalogue, photo_dir: Path, rng, tag: str) -> list[dict]:
    """Each phone's outbox and photos (fresh op ids and photo bytes: a new day's work)."""
    variants = jpeg_variants(photo_dir, f"{tag}-", len(phones) * PHOTOS, rng)
    now = datetime.now(UTC)
    plans = []
    for n, phone in enumerate(phones):
        mine = variants[n * PHOTOS : (n + 1) * PHOTOS]
        plans.append(
            {
                "username": phone.username,
                "password": _cluster.PASSWORD,
                "user_id": phone.user_id,
                "token": phone.token,
                "device_id": phone.device_id,
                "cursor": phone.cursor,
                "photos": [{"sha256": sha, "path": str(path)} for sha, path in mine],
                "ops": outbox(catalogue[phone.estate_id], rng, [s for s, _p in mine], now),
            }
        )
    return plans


def drive(scenario: Scenario, hosts: list[str], work: Path, users: int, spawn_rate: float):
    """Start the phones (Locust, pinned to TOOL_CPUS) and return the process; its figures are
    read by `finish`."""
    plan = {
        "hosts": hosts,
        "users": users,
        "spawn_rate": spawn_rate,
        "deadline_s": 420,
        "fresh": FRESH,
        "one_each": users >= len(scenario.phones),  # a crowd: one phone per user
        "phones": scenario.phones,
    }
    plan_path = work / f"{scenario.name}-plan.json"
    plan_path.write_text(json.dumps(plan))
    out_path = work / f"{scenario.name}-out.json"
    log = (work / f"{scenario.name}-locust.log").open("wb")
    process = subprocess.Popen(
        [
            *_cluster.pinned(TOOL_CPUS),
            sys.executable,
            "-m",
            "bench._phones",
            str(plan_path),
            str(out_path),
        ],
        cwd=_cluster.ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, out_path


def finish(scenario: Scenario, process, out_path: Path, apps) -> None:
    process.wait()
    if process.returncode != 0 or not out_path.exists():
        raise RuntimeError(f"the phones failed: see {out_path.parent}/{scenario.name}-locust.log")
    scenario.result = json.loads(out_path.read_text())
    errors = sorted({p["error"] for p in scenario.result["phones"] if p.get("error")})
    for error in errors[:3]:  # what stopped a phone, said once (the rows count them)
        print(f"  {scenario.name}: a phone stopped: {error}", file=sys.stderr)
    for app in apps:
        for route, ms in app.served(scenario.started).items():
            scenario.served.setdefault(route, []).extend(ms)


def tally(database_url: str, scenario: Scenario, blob_dir: Path) -> dict:
    """What the database holds of the scenario's ops: lost (an op without its row or its
    record), doubled (op rows, or records, of these phones' users since the start beyond one
    per op sent), photos stored (a row and a file)."""
    from sync import blobs, photos

    ops = [op for phone in scenario.phones for op in phone["ops"]]
    ids = [op["op_id"] for op in ops]
    checks = [op["op_id"] for op in ops if op["type"] == "check.record"]
    findings = [op["op_id"] for op in ops if op["type"] == "finding.create"]
    users = sorted({phone["user_id"] for phone in scenario.phones})
    shas = [p["sha256"] for phone in scenario.phones for p in phone["photos"]]
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:

        def ids_in(table, wanted):
            rows = conn.execute(
                f"SELECT op_id FROM {table} WHERE op_id = ANY(%s)", (wanted,)
            ).fetchall()
            return {r[0] for r in rows}

        def since(table):
            return conn.execute(
                f"SELECT count(*) FROM {table} WHERE user_id = ANY(%s) AND received_at >= %s",
                (users, scenario.started),
            ).fetchone()[0]

        have_ops, have_checks = ids_in("sync_op", ids), ids_in("check_record", checks)
        have_findings = ids_in("finding", findings)
        statuses = dict(
            conn.execute(
                "SELECT status, count(*) FROM sync_op WHERE op_id = ANY(%s) GROUP BY status",
                (ids,),
            ).fetchall()
        )
        records = {"checks": since("check_record"), "findings": since("finding")}
        extra_ops = since("sync_op") - len(have_ops)
        held = {
            r[0]
            for r in conn.execute(
                "SELECT sha256 FROM photo_blob WHERE sha256 = ANY(%s)", (shas,)
            ).fetchall()
        }
    store = blobs.as_store(blob_dir)
    on_disk = sum(1 for sha in held if store.exists(photos.photo_key(sha)))
    recorded = have_checks | have_findings
    lost = sum(
        1
        for op in ops
        if op["op_id"] not in have_ops
        or (op["type"] in ("check.record", "finding.create") and op["op_id"] not in recorded)
    )
    # An op stored twice (under another op id) is an extra op row and an extra record.
    extra_records = (records["checks"] - len(have_checks)) + (
        records["findings"] - len(have_findings)
    )
    doubled = max(extra_records, extra_ops)
    return {
        "ops": len(ids),
        "stored": len(have_ops),
        "lost": lost,
        "doubled": doubled,
        "statuses": statuses,
        "photos": len(shas),
        "photos_stored": on_disk,
    }


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def figures(scenario: Scenario) -> dict:
    """Per-request latencies (answered requests), per-phone walks, 5xx and unanswered tries."""
    requests = scenario.result["requests"]
    phones = scenario.result["phones"]

    def times(name):
        return [ms for n, ms, status, _t in requests if n == name and 0 < status < 500]

    out = {
        "5xx": sum(1 for _n, _ms, status, _t in requests if status >= 500),
        "no_answer": sum(1 for _n, _ms, status, _t in requests if status == 0),
        "unfinished": sum(1 for p in phones if not p["done"]) + len(scenario.phones) - len(phones),
        "retries": sum(p["retries"] for p in phones),
        "wall_s": scenario.result["wall_s"],
        "pulled": sum(p.get("pulled", 0) for p in phones),
        "duplicates": sum(p["statuses"].get("duplicate", 0) for p in phones),
    }
    for name in ("push", "pull", "photo", "login"):
        for pname, p in (("p50", 0.5), ("p95", 0.95)):
            out[f"{name} {pname}"] = _pct(times(name), p)
    for route, name in (("/api/sync/push", "push"), ("/api/sync/pull", "pull")):
        out[f"{name} served p95"] = _pct(scenario.served.get(route, []), 0.95)
    for walk in ("push_ms", "pull_ms", "photos_ms"):
        done = [p[walk] for p in phones if walk in p]
        out[f"{walk} p50"], out[f"{walk} p95"] = _pct(done, 0.5), _pct(done, 0.95)
    return out


def kill_halfway(database_url: str, victim, scenario: Scenario, process) -> float | None:
    """SIGKILL ``victim`` once half of the scenario's ops are in the database; when (seconds
    after the phones started), or None if the phones finished first."""
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    half = sum(len(p["ops"]) for p in scenario.phones) / 2
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        before = conn.execute("SELECT count(*) FROM sync_op").fetchone()[0]
        while process.poll() is None:
            if conn.execute("SELECT count(*) FROM sync_op").fetchone()[0] - before >= half:
                victim.kill()
                return time.perf_counter() - started
            time.sleep(0.05)
    return None


def rows() -> list[Row]:
    missing = _cluster.missing_services()
    if missing:
        print(f"  load: skipped — {missing}", file=sys.stderr)
        return []
    name = f"rounds_load_{os.getpid()}"
    url = _cluster.fresh_database(name)
    rng = random.Random(22)
    try:
        keep = os.environ.get("LOAD_BENCH_KEEP") == "1"  # the database and the logs, to look
        folder = (
            contextlib.nullcontext(tempfile.mkdtemp(prefix="rounds-load-"))
            if keep
            else tempfile.TemporaryDirectory(prefix="rounds-load-")
        )
        with folder as tmp:
            if keep:
                print(f"  load: kept {tmp} and database {name}", file=sys.stderr)
            work = Path(tmp)
            started = time.perf_counter()
            with bench_app(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=_cluster.SECRET):
                phones, catalogue = _cluster.seed(ESTATES, UNITS, PHONES + ALONE + WARM)
            seed_s = time.perf_counter() - started
            crowd, lone, warm = phones[:PHONES], phones[PHONES:-WARM], phones[-WARM:]
            photos = work / "photos"
            with _cluster.instances(url, work, 2, APP_CPUS) as apps:
                hosts = [app.url for app in apps]
                # Not measured: each worker's first requests (imports, templates, connections).
                warming = Scenario("warm", phone_plans(warm, catalogue, photos, rng, "w"))
                finish(warming, *drive(warming, hosts, work, 10, 10), apps)
                alone = Scenario("alone", phone_plans(lone, catalogue, photos, rng, "a"))
                cpu, db_cpu = sum(app.cpu_seconds() for app in apps), _cluster.backend_cpu(name)
                finish(alone, *drive(alone, hosts, work, 1, 1), apps)
                alone.cpu_s = sum(app.cpu_seconds() for app in apps) - cpu
                alone.db_cpu_s = _cluster.backend_cpu_since(db_cpu, name)
                first = Scenario("crowd", phone_plans(crowd, catalogue, photos, rng, "c"))
                cpu, db_cpu = sum(app.cpu_seconds() for app in apps), _cluster.backend_cpu(name)
                host = _cluster.host_cpu()
                finish(first, *drive(first, hosts, work, PHONES, PHONES / SPAWN_S), apps)
                after = _cluster.host_cpu()
                first.host_cpu = (after[0] - host[0], after[1] - host[1])
                first.cpu_s = sum(app.cpu_seconds() for app in apps) - cpu
                first.db_cpu_s = _cluster.backend_cpu_since(db_cpu, name)
                counted = tally(url, first, work / "blobs")
                # The next day: the same phones, a new outbox, pulling from where they stopped.
                ended = {p["username"]: p.get("cursor") for p in first.result["phones"]}
                for phone in crowd:
                    phone.cursor = ended.get(phone.username) or phone.cursor
                second = Scenario("killed", phone_plans(crowd, catalogue, photos, rng, "k"))
                process, out_path = drive(second, hosts, work, PHONES, PHONES / SPAWN_S)
                killed_at = kill_halfway(url, apps[0], second, process)
                finish(second, process, out_path, apps)
                counted_killed = tally(url, second, work / "blobs")
            out = table(alone, (first, counted), (second, counted_killed), killed_at=killed_at)
            seeded = f"load: seed {ESTATES} x {UNITS:,} units, {len(phones)} phones"
            out.append(Row(seeded, seed_s, "s"))
    finally:
        if os.environ.get("LOAD_BENCH_KEEP") != "1":
            _cluster.drop_database(name)
    return out + _regional.rows()


def table(alone: Scenario, *runs, killed_at: float | None) -> list[Row]:
    """The rows: each run's latencies against the single phone's (one at a time), its 5xx, and
    what the database holds."""
    base = figures(alone)
    size = f"{PHONES} phones in {SPAWN_S:g} s, 2 instances"
    out = []
    for (scenario, counted), label in zip(runs, ("load", "load, 1 instance killed"), strict=True):
        got = figures(scenario)
        held = label == "load"  # the latency targets are the plain run's
        if not held:
            when = "-" if killed_at is None else f"{killed_at:.1f} s"
            label = f"{label} at {when}"
        for key, what, target in (
            ("push p50", "push, per request", None),
            ("push p95", "push, per request", 2000),
            ("pull_ms p50", "pull until has_more is false", None),
            ("pull_ms p95", "pull until has_more is false", 3000),
            ("photo p95", "photo upload (~200 KB), per request", None),
            ("login p95", "device login (LOAD_BENCH_FRESH=1), per request", None),
            ("push served p95", "push, the app's own time (its log), per request", None),
            ("pull served p95", "pull, the app's own time (its log), per request", None),
        ):
            value = got.get(key)
            if value is None:
                continue
            meets = value <= target if (target and held) else None
            out.append(
                Row(
                    f"{label}: {what} {key.split()[-1]} [{size}]",
                    value,
                    "ms",
                    f"1 phone at a time, {key.split()[-1]}",
                    base.get(key),
                    target=f"<= {target:,} ms" if target and held else "",
                    met=meets,
                )
            )
        n, phones, photos = counted["ops"], len(scenario.phones), counted["photos"]
        finished = (
            f"phones that finished (retries: {got['retries']}, unanswered tries: "
            f"{got['no_answer']}, ops answered duplicate: {got['duplicates']})"
        )
        out += [
            Row(f"{label}: {what}", value, "", target=f"{want}", met=value == want)
            for what, value, want in (
                ("5xx answers", got["5xx"], 0),
                (f"ops lost, of {n:,}", counted["lost"], 0),
                (f"ops doubled, of {n:,}", counted["doubled"], 0),
                (f"photos stored, of {photos}", counted["photos_stored"], photos),
                (finished, phones - got["unfinished"], phones),
            )
        ]
        out += [
            Row(f"{label}: every phone synced, wall clock", got["wall_s"], "s"),
        ]
        if scenario.cpu_s is not None and alone.cpu_s:
            out.append(
                Row(
                    f"{label}: app CPU time per phone (both instances, no database)",
                    scenario.cpu_s / len(scenario.phones) * 1000,
                    "ms",
                    "1 phone at a time",
                    alone.cpu_s / len(alone.phones) * 1000,
                )
            )
        if scenario.host_cpu and scenario.cpu_s is not None and scenario.db_cpu_s is not None:
            # Whether the app had the cores: how busy the host was, and how much of that was
            # the app's and its database's (the rest: the phones, and whatever else ran).
            busy, whole = scenario.host_cpu
            ours = scenario.cpu_s + scenario.db_cpu_s
            out.append(
                Row(
                    f"{label}: host CPU busy while the phones ran, % of all cores "
                    f"(app + its database: {ours / whole * 100:.0f} %)",
                    busy / whole * 100,
                    "%",
                )
            )
        if scenario.db_cpu_s is not None and alone.db_cpu_s:
            out.append(
                Row(
                    f"{label}: database CPU time per phone (the app's connections' backends)",
                    scenario.db_cpu_s / len(scenario.phones) * 1000,
                    "ms",
                    "1 phone at a time",
                    alone.db_cpu_s / len(alone.phones) * 1000,
                )
            )
    return out
