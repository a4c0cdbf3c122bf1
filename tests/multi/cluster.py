"""A deployment of several instances on loopback, for tests and benches: an S3-compatible
server (moto in server mode), N app instances (gunicorn with deploy/gunicorn.conf.py, as
production runs them) and M job workers (``flask jobs worker``, or a test's own worker
module), all on one database and one Redis.

    with Cluster(database_url, redis_url, tmp) as cluster:
        a, b = cluster.start_apps(2)
        cluster.start_workers(1)
        a.get("/healthz")

Nothing here imports pytest: a load bench (bench/) can start the same deployment. Each process
writes its output to a log file under the cluster's folder, quoted when it fails to start.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import boto3

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "multi-instance-test-secret-key-0123456789abcdef"
S3_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class StartError(RuntimeError):
    """A process of the cluster did not come up (its log's tail is the message)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no output)"


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(f"exited with {process.returncode}:\n{_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise StartError(f"nothing listened on {port} within {seconds:.0f} s:\n{_tail(log)}")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, seconds: float = 20) -> None:
    """Stop a process we started (by its own id), killing it if it lingers."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Instance:
    """One app instance (gunicorn) on its own port: plain HTTP requests with a cookie jar
    the caller passes (a browser's session, moved between instances at will)."""

    name: str
    port: int
    process: subprocess.Popen
    log: Path

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict | None = None,
        cookies: dict | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            answer = Answer(response.status, dict(response.getheaders()), response.read())
            if cookies is not None:
                for name, value in response.getheaders():
                    if name.lower() == "set-cookie":
                        pair = value.split(";", 1)[0]
                        key, _, val = pair.partition("=")
                        cookies[key.strip()] = val
            return answer
        finally:
            conn.close()

    def get(self, path: str, **options) -> Answer:
        return self.request("GET", path, **options)


@dataclass
class Moto:
    """moto's S3 in server mode on a loopback port, with a bucket made."""

    port: int
    process: subprocess.Popen
    bucket: str

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """What an instance is given to keep its blobs there."""
        return {
            "BLOB_STORE": "s3",
            "S3_BUCKET": self.bucket,
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_REGION": "us-east-1",
            **S3_KEYS,
        }

    def client(self):
        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1", **_lower(S3_KEYS)
        )


def _lower(keys: dict) -> dict:
    return {name.lower(): value for name, value in keys.items()}


def start_moto(folder: Path, bucket: str = "rounds-test") -> Moto:
    """Start moto's server (``moto_server``) and make the bucket."""
    moto_server = BIN / "moto_server"
    if not moto_server.exists():
        raise StartError(f"{moto_server} is missing: pip install 'moto[server]'")
    port = free_port()
    log = folder / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log, 30)
        moto = Moto(port, process, bucket)
        moto.client().create_bucket(Bucket=bucket)
    except BaseException:
        stop(process)
        raise
    return moto


@dataclass
class Cluster:
    """App instances and workers on one database, one Redis and (optionally) moto's S3."""

    database_url: str
    redis_url: str
    folder: Path
    s3: bool = True
    extra_env: dict = field(default_factory=dict)
    moto: Moto | None = None
    apps: list[Instance] = field(default_factory=list)
    workers: list[subprocess.Popen] = field(default_factory=list)
    queue_name: str = field(default_factory=lambda: f"multi-{uuid.uuid4().hex[:10]}")

    def __enter__(self) -> Cluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.s3:
            self.moto = start_moto(self.folder)
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def env(self, name: str) -> dict[str, str]:
        """The environment every process of the cluster shares (its own instance folder:
        nothing on one machine's disk may be what another needs)."""
        env = {
            **os.environ,
            "ROUNDS_ENV": "production",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "JOBS_QUEUE_NAME": self.queue_name,
            "ROUNDS_INSTANCE": str(self.folder / name),
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            "SECURE_COOKIES": "false",
            # Behind a proxy (nginx) as deployed: a test names its client's address.
            "TRUSTED_PROXY_HOPS": "1",
            "LOG_FORMAT": "text",
            "LOG_LEVEL": "warning",
            "PYTHONPATH": str(ROOT),
        }
        for stale in ("BLOB_STORE", *(k for k in os.environ if k.startswith("S3_"))):
            env.pop(stale, None)
        if self.moto is not None:
            env.update(self.moto.env)
        env.update(self.extra_env)
        return env

    def start_apps(self, n: int, workers_each: int = 1) -> list[Instance]:
        """Start ``n`` gunicorn instances (deploy/gunicorn.conf.py), each on its own port."""
        started = []
        for _ in range(n):
            name = f"app{len(self.apps) + 1}"
            port = free_port()
            env = {
                **self.env(name),
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "WEB_CONCURRENCY": str(workers_each),
            }
            log = self.folder / f"{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [str(BIN / "gunicorn"), "--config", str(ROOT / "deploy" / "gunicorn.conf.py")],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            instance = Instance(name, port, process, log)
            self.apps.append(instance)
            started.append(instance)
        for instance in started:
            self._wait_healthy(instance)
        return started

    def _wait_healthy(self, instance: Instance, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if instance.process.poll() is not None:
                raise StartError(f"{instance.name} exited:\n{_tail(instance.log)}")
            try:
                if instance.get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise StartError(f"{instance.name} never answered 200:\n{_tail(instance.log)}")

    def start_worker(self, command: list[str] | None = None, name: str | None = None):
        """Start a job worker: ``flask jobs worker`` unless a command is given (a test's own
        worker module); its output in ``<name>.log``."""
        name = name or f"worker{len(self.workers) + 1}"
        log = self.folder / f"{name}.log"
        command = command or [str(BIN / "flask"), "--app", "webapp", "jobs", "worker"]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=self.env(name), stdout=out, stderr=subprocess.STDOUT
            )
        process.log = log  # type: ignore[attr-defined]
        self.workers.append(process)
        return process

    def close(self) -> None:
        for process in self.workers:
            stop(process, signal.SIGINT)
        for instance in self.apps:
            stop(instance.process)
        if self.moto is not None:
            stop(self.moto.process)
        self.workers.clear()
        self.apps.clear()


def which_missing(database_url: str, redis_url: str) -> list[str]:
    """What a cluster needs and this machine lacks: PostgreSQL, Redis, moto's server."""
    missing = []
    if not database_url.startswith("postgresql"):
        missing.append("PostgreSQL (DATABASE_URL=postgresql+psycopg://…)")
    try:
        with socket.create_connection(_host_port(redis_url), timeout=2):
            pass
    except OSError:
        missing.append(f"Redis at {redis_url}")
    if not (BIN / "moto_server").exists() or shutil.which("gunicorn", path=str(BIN)) is None:
        missing.append("moto_server and gunicorn in the virtualenv")
    return missing


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 6379
