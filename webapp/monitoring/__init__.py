"""Operations: a request id on every request, structured logs, and Prometheus metrics.

``init_app`` wires it all from create_app: the request id first (a WSGI middleware, so even a
request that fails before any Flask hook has one), then the log handler, then the metrics.
"""

from __future__ import annotations

from flask import Flask

from webapp.monitoring import logs, metrics, request_id


def init_app(app: Flask) -> None:
    """Give every request an id, send logs as configured, and count requests."""
    request_id.init_app(app)
    logs.init_app(app)
    metrics.init_app(app)
