"""A real server killed with SIGKILL again and again during a 10,000-op sync from a retrying
client: every op stored, none twice."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.sync.conftest import T0, check_op, codes_of, issue_device
from webapp.extensions import db
from webapp.models.sync import Check, SyncOp

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn process group on 127.0.0.1, started and killed by this test only."""

    def __init__(self, database_url: str, instance: Path):
        self.port = _free_port()
        self.env = os.environ | {
            "DATABASE_URL": database_url,
            "ROUNDS_INSTANCE": str(instance),
            "SECRET_KEY": "sigkill-test",
            "ROUNDS_ENV": "testing",
            "DEMO_MODE": "0",
        }
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                str(GUNICORN),
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "60",
                "webapp:create_app()",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def _post(port: int, token: str, body: dict) -> dict | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/sync/push",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return json.loads(response.read())
    except (
        urllib.error.URLError,
        http.client.HTTPException,  # IncompleteRead: killed after the headers, mid-body
        ConnectionError,
        TimeoutError,
        OSError,
        ValueError,
    ):
        return None  # killed mid-request, refused while restarting, or a 503: retry


@pytest.mark.slow
def test_sigkill_during_a_10000_op_sync_loses_nothing_and_doubles_nothing(
    app, seed, database_url, tmp_path
):
    """Killed again and again mid-sync, does the server end with 10,000 ops, none twice?"""
    device_id, token = issue_device(app, "patrol")
    codes = codes_of(app, seed.estate_ids[0], "unit", 24)
    rng = random.Random(5)
    ops = [check_op(codes[i % len(codes)], T0, result="ok") for i in range(10_000)]
    server = Server(database_url, tmp_path)
    server.start()
    kills: list[float] = []
    timer: threading.Timer | None = None

    def kill_and_restart():
        server.kill()
        kills.append(time.monotonic())
        server.start()

    # Kill points are fixed batches, so the test kills the same number of times however
    # fast the host is; the delay lands the kill inside (or just after) that request.
    kill_at = {1, 4, 7, 10, 13, 16}
    acked: dict[str, str] = {}
    retries = 0
    deadline = time.monotonic() + 150
    try:
        for number, start in enumerate(range(0, len(ops), 500)):
            batch = ops[start : start + 500]
            if number in kill_at:
                if timer is not None:
                    timer.join()
                timer = threading.Timer(rng.uniform(0.02, 0.3), kill_and_restart)
                timer.start()
            while True:
                assert time.monotonic() < deadline, "sync did not finish in time"
                body = _post(server.port, token, {"device_id": device_id, "ops": batch})
                if body is not None:
                    break
                retries += 1
                time.sleep(0.2)
            for op, result in zip(batch, body["results"], strict=True):
                assert result["status"] in ("applied", "duplicate"), result
                acked[op["op_id"]] = result["status"]
    finally:
        if timer is not None:
            timer.join()
        server.kill()
    assert len(kills) == len(kill_at) and retries >= 1  # the client really saw the server die
    assert len(acked) == 10_000
    with app.app_context():
        ids = [op["op_id"] for op in ops]
        stored_ops = db.session.scalar(
            sa.select(sa.func.count()).select_from(SyncOp).where(SyncOp.device_id == device_id)
        )
        checks = db.session.scalars(sa.select(Check.op_id).where(Check.device_id == device_id))
        checks = list(checks)
        assert stored_ops == 10_000
        assert len(checks) == 10_000 and set(checks) == set(ids)
