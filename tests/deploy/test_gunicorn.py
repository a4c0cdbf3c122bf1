"""deploy/gunicorn.conf.py: sized for 2 cores, and the app served through it as production
runs it (2 workers, metrics summed across them, JSON logs with the request id)."""

from __future__ import annotations

import gc
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.conftest import DEPLOY, METRICS_TOKEN, ROOT

CONFIG = DEPLOY / "gunicorn.conf.py"


def _load(monkeypatch, cores: int, **env) -> dict:
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    names = ("WEB_CONCURRENCY", "GUNICORN_BIND", "PROMETHEUS_MULTIPROC_DIR", "LOG_FORMAT")
    for name in (*names, "RUNTIME_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_the_config_is_sized_for_two_cores(monkeypatch):
    """On 2 cores, are there 5 sync workers (2 × cores + 1) serving create_app on loopback,
    with a timeout past a long export and no access log beside the app's own?"""
    config = _load(monkeypatch, cores=2)
    assert config["workers"] == 5
    assert config["worker_class"] == "sync"
    assert config["wsgi_app"] == "webapp:create_app()"
    assert config["bind"] == "127.0.0.1:8000"
    assert config["timeout"] == 60 and config["graceful_timeout"] == 30
    assert config["accesslog"] is None
    assert config["max_requests"] > 0 and config["max_requests_jitter"] > 0
    assert config["control_socket_disable"] is True  # not the shared one under $HOME
    under_systemd = _load(monkeypatch, cores=2, RUNTIME_DIRECTORY="/run/rounds")
    assert under_systemd["control_socket"] == "/run/rounds/gunicorn.ctl"
    assert _load(monkeypatch, cores=4)["workers"] == 9
    assert _load(monkeypatch, cores=2, WEB_CONCURRENCY="3")["workers"] == 3


def test_gunicorn_itself_accepts_the_config():
    """Does gunicorn's own loader take every setting of the file (--check-config loads the
    app too), and resolve the worker count the file computes?"""
    env = {**os.environ, "WEB_CONCURRENCY": "5", "ROUNDS_ENV": "development"}
    done = subprocess.run(
        [str(Path(sys.executable).with_name("gunicorn")), "--print-config", "-c", str(CONFIG)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    settings = dict(
        (name.strip(), value.strip())
        for name, _, value in (line.partition("=") for line in done.stdout.splitlines())
    )
    assert settings["workers"] == "5"
    assert settings["wsgi_app"] == "webapp:create_app()"


def test_the_metrics_folder_is_emptied_at_start_and_dead_workers_marked(tmp_path, monkeypatch):
    """Does on_starting empty PROMETHEUS_MULTIPROC_DIR (a former run's values would be added
    to this one's) and child_exit tell prometheus-client a worker is gone?"""
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"old")
    config = _load(monkeypatch, cores=2, PROMETHEUS_MULTIPROC_DIR=str(folder))
    config["on_starting"](None)
    assert folder.is_dir() and list(folder.iterdir()) == []
    (folder / "gauge_livesum_4242.db").write_bytes(b"")
    config["child_exit"](None, SimpleNamespace(pid=4242))
    assert not (folder / "gauge_livesum_4242.db").exists()


def test_a_worker_freezes_what_its_app_holds(monkeypatch):
    """Once a worker has made its app, is everything then alive moved out of the cyclic
    collector's generations (gc.freeze), so full collections no longer walk it?"""
    config = _load(monkeypatch, cores=2)
    held = [object() for _ in range(1000)]  # noqa: F841 - alive when the hook runs
    try:
        config["post_worker_init"](SimpleNamespace())
        assert gc.get_freeze_count() >= 1000
        assert gc.get_objects(generation=2) == []  # nothing left there for a full pass
    finally:
        gc.unfreeze()


def _healthz_total(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "rounds_http_requests_total" and sample.labels.get("route") == (
                "/healthz"
            ):
                return sample.value
    return 0.0


def test_the_app_serves_through_gunicorn(gunicorn_server):
    """Through the real config: does /healthz answer with a request id, does /metrics add up
    the requests of both workers, and are the logs JSON lines carrying the request id?"""
    served = gunicorn_server
    assert not (served.metrics_dir / "stale_from_a_former_run.db").exists()
    before = _healthz_total(
        served.get("/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"}).body.decode()
    )
    for n in range(12):
        response = served.get("/healthz", {"X-Request-ID": f"deploy-{n}"})
        assert response.status == 200
        assert response.getheader("X-Request-ID") == f"deploy-{n}"
        assert json.loads(response.body) == {"status": "ok", "db": "ok"}
    assert served.get("/metrics").status == 401
    response = served.get("/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status == 200
    assert _healthz_total(response.body.decode()) - before == 12
    assert len(list(served.metrics_dir.glob("counter_*.db"))) >= 1

    lines = [json.loads(line) for line in served.log.read_text().splitlines() if line.strip()]
    mine = [line for line in lines if line.get("request_id") == "deploy-3"]
    assert mine and mine[0]["logger"] == "rounds.access" and mine[0]["route"] == "/healthz"
    assert any(line.get("logger") == "gunicorn.error" for line in lines)  # gunicorn's, as JSON
