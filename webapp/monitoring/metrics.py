"""Prometheus metrics (prometheus-client), served at /metrics to the bearer ``METRICS_TOKEN``.

What is counted:

- every request, by method, route and status; its latency, by method and route. The route is
  the URL rule (``/api/blobs/<sha256>``), never the path, so the series stay few whatever
  URLs callers send; a request no rule matched is ``unmatched``;
- each op a sync push answered, by its status (applied, duplicate, conflict, rejected), and
  the lag of each op stored, ``received_at − occurred_at``, by estate;
- the bytes of the sync pull pages (the JSON, before compression);
- at scrape time: the queue depth of every source an area registers with
  :func:`add_queue_depth` (the job engine), and the ops phones said they still hold.

Several gunicorn workers or instances: with ``PROMETHEUS_MULTIPROC_DIR`` set in the
environment before the process starts, prometheus-client keeps each worker's values in files
there and a scrape adds them up (its multiprocess mode); deploy/gunicorn.conf.py marks dead
workers. Without it, one process's values are served.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, current_app, request
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder

from webapp.extensions import db
from webapp.models import Device
from webapp.models.sync import SyncOp
from webapp.monitoring import request_id

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
QUEUE_SOURCES = "rounds.queue_depth"

REQUESTS = Counter(
    "rounds_http_requests",
    "HTTP requests answered, by method, route (the URL rule) and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "rounds_http_request_duration_seconds",
    "Time from the request reaching the app to its answer, by method and route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0),
)
PUSH_OPS = Counter(
    "rounds_sync_push_ops",
    "Ops answered by sync push, by status (applied, duplicate, conflict, rejected).",
    ["status"],
)
PULL_BYTES = Counter(
    "rounds_sync_pull_bytes",
    "Bytes of sync pull pages sent (the JSON, before compression).",
)
SYNC_LAG = Histogram(
    "rounds_sync_lag_seconds",
    "received_at minus occurred_at of each op stored by a push, by estate id.",
    ["estate"],
    buckets=(1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400),
)


def multiprocess_dir() -> str | None:
    """The folder of multiprocess mode, when the environment names one."""
    return os.environ.get(MULTIPROC_ENV) or None


def route_label() -> str:
    """The request's URL rule, or ``unmatched``: never the raw path."""
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def method_label() -> str:
    """The request's method when it is a standard one; anything else is ``other``."""
    return request.method if request.method in METHODS else "other"


def count_request(response):
    """After every request: count it and time it."""
    route, method = route_label(), method_label()
    REQUESTS.labels(method, route, str(response.status_code)).inc()
    seconds = request_id.elapsed()
    if seconds is not None:
        LATENCY.labels(method, route).observe(seconds)
    return response


def stored_ops_lag(session, results: list[dict], now: datetime) -> list[tuple[str, float]]:
    """(estate id, seconds) of each op a push stored, read in the push's own transaction
    (primary-key lookups of the ops just written): call it before the commit."""
    stored = [r["op_id"] for r in results if r.get("status") in ("applied", "conflict")]
    if not stored:
        return []
    rows = session.execute(
        sa.select(SyncOp.estate_id, SyncOp.occurred_at).where(SyncOp.op_id.in_(stored))
    )
    return [
        (str(estate_id) if estate_id is not None else "none", (now - occurred).total_seconds())
        for estate_id, occurred in rows
    ]


def pushed(results: list[dict], lags: list[tuple[str, float]]) -> None:
    """Count a push's answers by status and observe the lag of the ops it stored."""
    for result in results:
        PUSH_OPS.labels(str(result.get("status", "unknown"))).inc()
    for estate, seconds in lags:
        # A phone whose clock runs ahead reports a future occurred_at: no negative lag.
        SYNC_LAG.labels(estate).observe(max(seconds, 0.0))


def pulled(size: int) -> None:
    """Count the bytes of a pull page."""
    PULL_BYTES.inc(size)


def add_queue_depth(app: Flask, queue: str, depth: Callable[[], int]) -> None:
    """Register a queue whose depth /metrics reports as ``rounds_queue_depth{queue=...}``.

    ``depth`` is called at scrape time, in a request of ``app``: read it from the shared store
    (the database, Redis), not from one process's memory."""
    app.extensions.setdefault(QUEUE_SOURCES, {})[queue] = depth


class ScrapeTimeCollector:
    """Values read when /metrics is scraped, from the shared stores (so the same on every
    worker): queue depths, and the ops phones said they still hold."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        depths = GaugeMetricFamily(
            "rounds_queue_depth", "Jobs waiting in each queue, at scrape time.", labels=["queue"]
        )
        for queue, depth in sorted(self.app.extensions.get(QUEUE_SOURCES, {}).items()):
            try:
                depths.add_metric([queue], float(depth()))
            except Exception:  # noqa: BLE001 - one broken source must not hide the others
                log.warning("queue depth of %s could not be read", queue, exc_info=True)
        yield depths
        pending = _phone_pending_ops()
        if pending is not None:
            yield GaugeMetricFamily(
                "rounds_sync_pending_ops",
                "Ops the phones (devices not revoked) said they still held at their last push.",
                value=pending,
            )


def _phone_pending_ops() -> float | None:
    try:
        total = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Device.pending_count), 0)).where(
                Device.revoked_at.is_(None)
            )
        )
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        log.warning("pending ops could not be read for /metrics", exc_info=True)
        return None
    return float(total or 0)


class _ThisProcess:
    """The process's own registry (single-process mode), as a collector."""

    def collect(self):
        yield from REGISTRY.collect()


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The metrics and their content type, in the format the scraper accepts (Prometheus's
    text format by default, OpenMetrics when asked): every worker's in multiprocess mode."""
    registry = CollectorRegistry(auto_describe=False)
    folder = multiprocess_dir()
    if folder:
        multiprocess.MultiProcessCollector(registry, path=folder)
    else:
        registry.register(_ThisProcess())
    registry.register(ScrapeTimeCollector(current_app._get_current_object()))
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type


def init_app(app: Flask) -> None:
    """Count every request of the app."""
    app.after_request(count_request)
