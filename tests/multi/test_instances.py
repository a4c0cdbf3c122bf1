"""Any request may land on any instance: two gunicorn instances, two job workers, one
PostgreSQL, one Redis and one S3-compatible server (moto), requests alternated between them.
No sticky sessions: what one instance did, the other sees."""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import sqlalchemy as sa

from tests.conftest import AuthActions, csrf_token_from
from tests.multi.conftest import CLOCK_AT_START
from tests.webapp.api.test_blobs import jpeg_with_gps
from webapp.extensions import db
from webapp.models import LabelCode
from webapp.models.jobs import Job

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Browser:
    """One person's browser: its cookies and its address, sent to whichever instance."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        # Behind the proxy each client has its address (TRUSTED_PROXY_HOPS=1).
        self.address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"

    def headers(self, extra: dict | None = None) -> dict:
        return {"X-Forwarded-For": self.address, **(extra or {})}

    def get(self, instance, path: str):
        return instance.get(path, headers=self.headers(), cookies=self.cookies)

    def post(self, instance, path: str, fields: dict, token_from: str):
        """A form post with the CSRF token of the page ``token_from`` (read from ``instance``)."""
        token = csrf_token_from(self.get(instance, token_from).body.decode())
        body = urlencode({**fields, "csrf_token": token}).encode()
        return instance.request(
            "POST", path, body=body, headers=self.headers(FORM), cookies=self.cookies
        )

    def log_in(self, instance, username: str, password: str | None = None):
        password = AuthActions.PASSWORDS[username] if password is None else password
        return self.post(instance, "/login", {"username": username, "password": password}, "/login")


def test_every_instance_checks_the_database_redis_and_the_bucket(cluster):
    """Does /healthz on each instance answer ok for the database, Redis and the object store?"""
    for instance in cluster.apps:
        answer = instance.get("/healthz")
        assert answer.status == 200
        assert answer.json() == {"status": "ok", "db": "ok", "redis": "ok", "objects": "ok"}


def test_a_session_made_on_one_instance_works_and_ends_on_the_other(cluster, seed):
    """Logged in on A, is the session good on B (the account page, not the login form);
    logged out on B, is a copy of the same cookie refused on A?"""
    a, b = cluster.apps
    browser = Browser()
    assert browser.log_in(a, "supervisor").status == 303
    copy = dict(browser.cookies)
    assert browser.get(b, "/account/password").status == 200
    assert browser.post(b, "/logout", {}, "/account/password").status in (302, 303)
    replayed = a.get("/account/password", headers=browser.headers(), cookies=copy)
    assert replayed.status == 302 and "/login" in replayed.headers["Location"]


def test_failed_logins_are_counted_across_instances(cluster, seed):
    """From one address, alternating A and B, are the five wrong tries a minute allowed
    counted together — the sixth refused (429) wherever it lands?"""
    browser = Browser()
    statuses = [
        browser.log_in(cluster.apps[n % 2], "patrol", "wrong-password").status for n in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    # A different address is not held back by this one's tries.
    assert Browser().log_in(cluster.apps[1], "patrol").status == 303


def _device(instance, browser: Browser, username: str) -> dict:
    body = json.dumps({"username": username, "password": AuthActions.PASSWORDS[username],
                       "device_name": "multi-instance test phone"}).encode()  # fmt: skip
    answer = instance.request(
        "POST",
        "/api/auth/device",
        body=body,
        headers=browser.headers({"Content-Type": "application/json"}),
    )
    assert answer.status == 201, answer.body[:500]
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def test_a_photo_pushed_through_one_instance_is_served_by_the_other_from_the_bucket(cluster, seed):
    """A phone's photo PUT through A: is it an object in the bucket (and no file on either
    instance's disk), served by B byte for byte as the bucket holds it?"""
    a, b = cluster.apps
    phone = Browser()
    bearer = _device(a, phone, "patrol")
    data = jpeg_with_gps()
    sha = hashlib.sha256(data).hexdigest()
    put = a.request(
        "PUT",
        f"/api/blobs/{sha}",
        body=data,
        headers=phone.headers({**bearer, "Content-Type": "image/jpeg"}),
    )
    assert put.status == 201, put.body[:500]
    stored = cluster.moto.client().get_object(
        Bucket=cluster.moto.bucket, Key=f"{sha[:2]}/{sha[2:4]}/{sha}"
    )
    kept = stored["Body"].read()
    served = b.get(f"/api/blobs/{sha}", headers=phone.headers(bearer))
    assert served.status == 200 and served.headers["Content-Type"] == "image/jpeg"
    assert served.body == kept and served.headers["Content-Length"] == str(len(kept))
    assert not any((cluster.folder / app.name / "blobs").exists() for app in cluster.apps)
    # The same checks on B as on A: another estate's patroller gets nothing.
    outsider = _device(b, Browser(), "patrol2")
    assert b.get(f"/api/blobs/{sha}", headers=phone.headers(outsider)).status == 404


def test_a_label_sheet_asked_of_one_instance_is_drawn_by_a_worker_and_fetched_from_the_other(
    cluster, app, seed
):
    """Asked for on A, is the sheet drawn by one of the workers, its PDF in the bucket, and
    downloaded through B?"""
    a, b = cluster.apps
    with app.app_context():
        code = db.session.scalars(
            sa.select(LabelCode.short_code).where(LabelCode.estate_id == seed.estate_ids[0])
        ).first()
    browser = Browser()
    assert browser.log_in(a, "admin").status == 303
    asked = browser.post(a, "/labels/one", {"code": code, "action": "print"}, "/labels")
    assert asked.status == 303, asked.body[:2000]
    job_id = re.search(r"/labels/jobs/([0-9a-f]{32})$", asked.headers["Location"])[1]
    deadline = time.monotonic() + 45
    while (pdf := browser.get(b, f"/labels/jobs/{job_id}/labels.pdf")).status == 404:
        assert time.monotonic() < deadline, "no worker drew the sheet"
        time.sleep(0.2)
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF")
    names = [
        item["Key"]
        for item in cluster.moto.client()
        .list_objects_v2(Bucket=cluster.moto.bucket, Prefix=f"jobs/{job_id}/")
        .get("Contents", [])
    ]
    assert sorted(names) == [f"jobs/{job_id}/labels.pdf", f"jobs/{job_id}/preview.png"]


def _move_clock(redis_client, queue: str, cluster, at: datetime) -> None:
    """Set the workers' time and have each run its minute tick; wait until both have."""
    redis_client.set(f"{queue}:clock", at.astimezone(UTC).isoformat())
    tick = str(redis_client.incr(f"{queue}:tick")).encode()
    deadline = time.monotonic() + 20
    pids = [worker.pid for worker in cluster.workers]
    while any(redis_client.get(f"{queue}:ticked:{pid}") != tick for pid in pids):
        assert time.monotonic() < deadline, "a worker did not tick"
        time.sleep(0.02)


def test_a_periodic_job_runs_once_per_slot_with_two_workers(cluster, queue, app):
    """Two workers tick at the same test-set minutes (every ten minutes a slot; times between
    and repeated ticks too): is each slot one job, run once, by one of them?"""
    redis_client, name = queue
    start = datetime(2099, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Taipei
    moments = [start + timedelta(minutes=m) for m in (0, 0, 3, 9, 10, 10, 19, 20, 20, 21)]
    try:
        for at in moments:
            _move_clock(redis_client, name, cluster, at)
    finally:  # back to the start, ahead of real time: the other tests' jobs stay due
        redis_client.set(f"{name}:clock", CLOCK_AT_START)
    slots = [f"multi.tally@2099-12-07T02:{m:02d}Z" for m in (0, 10, 20)]

    def ran() -> list[str]:  # this day's runs (the workers' first tick ran 1 January's)
        found = [item.decode().split("|")[0] for item in redis_client.lrange(f"{name}:ran", 0, -1)]
        return sorted(key for key in found if key.startswith("multi.tally@2099-12-07"))

    deadline = time.monotonic() + 30
    while len(ran()) < len(slots):
        assert time.monotonic() < deadline, ran()
        time.sleep(0.05)
    time.sleep(1)  # a second run would have been queued by now: none may come
    assert ran() == slots
    with app.app_context():
        rows = db.session.execute(
            sa.select(Job.key, Job.state, Job.attempts).where(
                Job.kind == "multi.tally", Job.key.like("multi.tally@2099-12-07%")
            )
        ).all()
    assert sorted(rows) == [(slot, "done", 1) for slot in slots]
