"""The load bench's phones, driven by Locust (headless, as a library): run by bench_load as
``python -m bench._phones PLAN.json OUT.json`` in a process of its own (pinned to its own core;
Locust's gevent patches this process only).

Each simulated phone does what static/js/sync.js does when it gets signal back: its photos
first (PUT /api/blobs/<sha256>), then its outbox in batches of 100 (POST /api/sync/push, the
same op ids on every retry), then a pull from its cursor until ``has_more`` is false. A
connection error or a 5xx is retried after a short pause, on the other instance (each phone
alternates between the instances on every request: no sticky sessions). Each phone sends its
own address in X-Forwarded-For, as nginx would (the instances trust one proxy hop), so the
login limits see 200 phones, not one loopback address. A "fresh" phone logs in first (POST
/api/auth/device) and pulls a full snapshot.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import deque

import gevent
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.exception import StopUser

BATCH = 100  # static/js/sync.js BATCH
PAGE = 1000  # static/js/sync.js PAGE
FINAL = {"applied", "duplicate", "conflict"}
ATTEMPTS = 12

plan: dict = {}
queue: deque = deque()
requests: list = []  # [name, ms, status (0: no answer), seconds since start]
phones: list = []  # one summary per phone
started = time.perf_counter()


class Gone(Exception):
    """A request never got a final answer after every retry."""


class Phone(FastHttpUser):
    host = "http://127.0.0.1"  # each request names its instance
    network_timeout = 60.0
    connection_timeout = 10.0

    @task
    def sync(self):
        while queue:
            one = queue.popleft()
            phones.append(self.run_phone(one))
            if plan["one_each"]:  # a crowd: one phone per simulated user
                break
        raise StopUser

    def call(self, name, method, path, state, **kwargs):
        """One request with the phone's retries: the final answer's status and its JSON (None
        for a body that is not JSON). No answer, a 5xx, or an answer cut short (an instance
        killed while it wrote: a 200 whose body never ends) is tried again, as the phone's
        fetch would fail and its next sync send the same again."""
        # As nginx (deploy/nginx.conf) tells the app: the phone's own address, https.
        headers = kwargs.pop("headers", {}) | state["via"]
        for attempt in range(ATTEMPTS):
            host = plan["hosts"][state["turn"] % len(plan["hosts"])]
            state["turn"] += 1
            t0 = time.perf_counter()
            with self.client.request(
                method, host + path, name=name, catch_response=True, headers=headers, **kwargs
            ) as response:
                status = response.status_code or 0
                try:
                    body = response.content or b""
                    doc = json.loads(body) if body else None
                except Exception:  # noqa: BLE001 - any broken answer is no answer
                    status = 0
                ms = (time.perf_counter() - t0) * 1000
                requests.append([name, round(ms, 2), status, round(t0 - started, 3)])
                if status and status < 500:
                    response.success()
                    return status, doc
                response.failure(f"{status or 'no answer'}")
            state["retries"] += 1
            gevent.sleep(min(0.25 * 2**attempt, 4) * random.uniform(0.5, 1.0))
        raise Gone(name)

    def run_phone(self, one: dict) -> dict:
        n = one["index"]
        # Each phone has an address of its own (a carrier's), not the loopback all share here.
        address = f"10.22.{n // 250}.{n % 250 + 1}"
        via = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https"}
        state = {"turn": n, "retries": 0, "via": via}
        out = {"username": one["username"], "statuses": {}, "done": False}
        auth = {"Authorization": f"Bearer {one.get('token')}"}
        try:
            if plan.get("fresh"):
                t0 = time.perf_counter()
                status, doc = self.call(
                    "login",
                    "POST",
                    "/api/auth/device",
                    state,
                    json={
                        "username": one["username"],
                        "password": one["password"],
                        "device_name": "load phone",
                    },
                )
                assert status == 201, ("login", status, doc)
                auth = {"Authorization": f"Bearer {doc['token']}"}
                one["device_id"], one["cursor"] = doc["device_id"], None
                out["login_ms"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            for photo in one["photos"]:
                with open(photo["path"], "rb") as fh:
                    data = fh.read()
                status, doc = self.call(
                    "photo",
                    "PUT",
                    f"/api/blobs/{photo['sha256']}",
                    state,
                    data=data,
                    headers=auth | {"Content-Type": "image/jpeg"},
                )
                assert status in (200, 201), ("photo", status, doc)
            out["photos_ms"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            ops = one["ops"]
            for i in range(0, len(ops), BATCH):
                envelope = {"device_id": one["device_id"], "pending": len(ops) - i}
                envelope["ops"] = ops[i : i + BATCH]
                status, doc = self.call(
                    "push", "POST", "/api/sync/push", state, json=envelope, headers=auth
                )
                assert status == 200, ("push", status, doc)
                for result in doc["results"]:
                    kind = result["status"]
                    out["statuses"][kind] = out["statuses"].get(kind, 0) + 1
            out["push_ms"] = (time.perf_counter() - t0) * 1000
            t0 = time.perf_counter()
            cursor, pulled, pages = one.get("cursor"), 0, 0
            while True:
                path = f"/api/sync/pull?limit={PAGE}" + (f"&cursor={cursor}" if cursor else "")
                status, doc = self.call("pull", "GET", path, state, headers=auth)
                assert status == 200, ("pull", status, doc)
                pulled, pages, cursor = pulled + len(doc["changes"]), pages + 1, doc["cursor"]
                if not doc["has_more"]:
                    break
            out |= {"pull_ms": (time.perf_counter() - t0) * 1000, "pulled": pulled}
            out |= {"pages": pages, "cursor": cursor, "done": True}
        except Exception as exc:  # noqa: BLE001 - the phone is reported, the others go on
            out["error"] = repr(exc)[:300]
        out["retries"] = state["retries"]
        return out


def main(plan_path: str, out_path: str) -> int:
    global started
    with open(plan_path) as fh:
        plan.update(json.load(fh))
    for n, one in enumerate(plan["phones"]):
        queue.append(one | {"index": n})
    expected = len(queue)
    env = Environment(user_classes=[Phone], events=events)
    runner = env.create_local_runner()
    started = time.perf_counter()
    runner.start(plan["users"], spawn_rate=plan["spawn_rate"])
    deadline = started + plan["deadline_s"]
    while len(phones) < expected and time.perf_counter() < deadline:
        gevent.sleep(0.1)
    wall = time.perf_counter() - started
    runner.quit()
    with open(out_path, "w") as fh:
        json.dump({"requests": requests, "phones": phones, "wall_s": wall}, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
