"""gunicorn's settings for Rounds: `gunicorn --config deploy/gunicorn.conf.py` (the systemd unit
deploy/rounds.service runs it). Sized for the 2-core host the project is measured on: 5 sync
workers. tests/deploy/ loads this file and serves through it behind deploy/nginx.conf.

Sync workers behind nginx, gunicorn's own advice: nginx buffers every request body (a 10 MB
photo from a phone on one bar of signal) and every response, so a worker is busy only while
the app computes, and each worker holds at most one database connection at a time (5 workers,
5 PostgreSQL connections per instance: two instances stay far below max_connections).
"""

from __future__ import annotations

import gc
import os
import shutil
from pathlib import Path

# The app, made in each worker (not preloaded: no database connection or metrics file crosses
# a fork).
wsgi_app = "webapp:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# (2 × cores) + 1, gunicorn's starting point: 5 on 2 cores. WEB_CONCURRENCY overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
worker_class = "sync"
# A label sheet run or a year's export can take seconds; a worker silent this long is killed.
timeout = 60
graceful_timeout = 30
keepalive = 5  # nginx keeps upstream connections open (deploy/nginx.conf `keepalive`)
# Recycle workers now and then, staggered, so none grows without bound.
max_requests = 2000
max_requests_jitter = 200
# The heartbeat file on tmpfs: a disk stall must not look like a hung worker.
if Path("/dev/shm").is_dir():  # noqa: S108 - gunicorn's documented choice
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# gunicorn's control socket (gunicornc) in the unit's own runtime folder (systemd sets
# RUNTIME_DIRECTORY from RuntimeDirectory=): never the shared default under $HOME, where two
# instances on one host would take each other's. Elsewhere, none.
if os.environ.get("RUNTIME_DIRECTORY"):
    control_socket = os.path.join(os.environ["RUNTIME_DIRECTORY"].split(":")[0], "gunicorn.ctl")
else:
    control_socket_disable = True

# The app logs one line per request with its request id (webapp/monitoring/logs.py): no second
# access log here. gunicorn's own messages go to stderr (journald), as JSON lines too.
accesslog = None
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "{levelname}{name}{message}",
            "style": "{",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        }
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    # The root logger is the app's (webapp/monitoring/logs.py installs its handler there).
    "root": {"level": "INFO", "handlers": []},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
}
if os.environ.get("LOG_FORMAT", "json") == "text":
    logconfig_dict = {}


def _metrics_dir() -> Path | None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(folder) if folder else None


def on_starting(server):
    """Before the first worker: an empty metrics folder (values of a former run would be
    added to this one's)."""
    folder = _metrics_dir()
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)


def post_worker_init(worker):
    """The worker's app is made: what it holds for good (modules, the app, SQLAlchemy's mappers
    and compiled statements, ~280,000 objects) leaves the cyclic collector's generations, so a
    full collection no longer walks it again in the middle of a request. Collected first, so
    no garbage is kept for ever."""
    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    """A worker gone: prometheus-client drops its live gauges (counters stay counted)."""
    if _metrics_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
