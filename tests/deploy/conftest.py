"""The deployment recipe run for real: gunicorn with deploy/gunicorn.conf.py on the test
session's database, and (where nginx is installed) deploy/nginx.conf in front of it."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.multi.cluster import free_port, stop

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
METRICS_TOKEN = "deploy-test-metrics-token-0123456789"


def wait_until_up(port: int, process: subprocess.Popen, what: str, log: Path) -> None:
    """Poll until the port answers (a readiness wait, not a measurement)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = log.read_text(errors="replace")[-3000:]
            raise AssertionError(f"{what} exited with {process.returncode}:\n{said}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{what} did not listen on {port}:\n{log.read_text()[-3000:]}")


@dataclass
class Served:
    port: int
    env: dict
    log: Path
    metrics_dir: Path

    def get(self, path: str, headers: dict | None = None) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.body = response.read()
        conn.close()
        return response


def wait_until_healthy(served: Served, process: subprocess.Popen) -> None:
    """Poll /healthz until a worker has booted and answers 200 (a wait, not a measurement)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{served.log.read_text()[-3000:]}")
        try:
            if served.get("/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"gunicorn never answered:\n{served.log.read_text()[-3000:]}")


@pytest.fixture(scope="package")
def gunicorn_server(tmp_path_factory, database_url, _migrated):
    """gunicorn with the repository's config, 2 workers, as production runs it."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    env = {
        **os.environ,
        "ROUNDS_ENV": "production",
        "SECRET_KEY": "s" * 48,
        "DATABASE_URL": database_url,
        "ROUNDS_INSTANCE": str(tmp / "instance"),
        "PUBLIC_BASE_URL": "https://rounds.example.com",
        "TRUSTED_PROXY_HOPS": "1",
        "METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
        "LOG_FORMAT": "json",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    env.pop("REDIS_URL", None)
    (tmp / "metrics").mkdir()
    (tmp / "metrics" / "stale_from_a_former_run.db").write_bytes(b"old")
    log = tmp / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "--config",
                str(DEPLOY / "gunicorn.conf.py"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        served = Served(port, env, log, tmp / "metrics")
        wait_until_healthy(served, process)
        yield served
    finally:
        stop(process)


def gunicorn_binary() -> str:
    """The venv's gunicorn, beside the running Python."""
    return str(Path(sys.executable).with_name("gunicorn"))


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


def missing(why: str):
    """A tool the recipe is checked with is not here: a failure in CI, where .ci/run installs
    it (a skip there would pass a recipe nobody tried), a skip that says so elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI installs it: see .ci/run)")
    pytest.skip(why)
