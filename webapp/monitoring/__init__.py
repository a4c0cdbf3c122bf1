"""Operations: a request id on every request and structured logs.

``init_app`` wires it all from create_app: the request id first (a WSGI middleware, so even a
request that fails before any Flask hook has one), then the log handler.
"""

from __future__ import annotations

from flask import Flask

from webapp.monitoring import logs, request_id


def init_app(app: Flask) -> None:
    """Give every request an id and send logs as configured."""
    request_id.init_app(app)
    logs.init_app(app)
