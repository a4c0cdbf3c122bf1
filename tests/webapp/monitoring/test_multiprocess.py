"""Several workers: with PROMETHEUS_MULTIPROC_DIR, a scrape adds up every process's counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.webapp.monitoring.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[3]

WORKER = """
import sys
from webapp import create_app
app = create_app({"TESTING": True, "SECRET_KEY": "x", "RATELIMIT_STORAGE_URI": "memory://"})
client = app.test_client()
for _ in range(int(sys.argv[1])):
    assert client.get("/healthz").status_code == 200
if len(sys.argv) > 2:
    response = client.get("/metrics", headers={"Authorization": "Bearer " + sys.argv[2]})
    sys.stdout.write(response.get_data(as_text=True))
"""


def _run(env, *args) -> str:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _healthz_count(text: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "rounds_http_requests_total" and sample.labels == {
                "method": "GET",
                "route": "/healthz",
                "status": "200",
            }:
                return sample.value
    return 0.0


def test_a_scrape_adds_up_every_worker(tmp_path, database_url, _migrated):
    """Does one worker's scrape count another worker's requests beside its own when they
    share PROMETHEUS_MULTIPROC_DIR, and only its own without it?"""
    folder = tmp_path / "prom"
    folder.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ROUNDS_INSTANCE": str(tmp_path),
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
    }
    _run(env, "3")
    assert _healthz_count(_run(env, "4", TOKEN)) == 7
    assert list(folder.glob("*.db"))  # the values live in files, one set per process
    alone = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    assert _healthz_count(_run(alone, "2", TOKEN)) == 2
