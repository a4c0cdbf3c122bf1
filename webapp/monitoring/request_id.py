"""A request id for every request: the caller's ``X-Request-ID`` when it is well formed
(nginx sends its ``$request_id``), else a new one; returned as ``X-Request-ID`` and written
into every log line of the request and onto its error page, so a user can quote it."""

from __future__ import annotations

import re
import time
import uuid

from flask import Flask, has_request_context, request

HEADER = "X-Request-ID"
ENVIRON_KEY = "rounds.request_id"
STARTED_KEY = "rounds.started"
# Bounded and plain: an id goes into logs and pages as is, so nothing that could break a log
# line or a page (spaces, quotes, newlines, markup) and nothing long is taken from outside.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def accept(value: str | None) -> str:
    """The caller's id if it is well formed, else a new random one (32 hex digits)."""
    if value and WELL_FORMED.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Wraps the WSGI app: sets the id (and the start time) in the environ, and sends the id
    back on every response, whatever produced it."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        rid = accept(environ.get("HTTP_X_REQUEST_ID"))
        environ[ENVIRON_KEY] = rid
        environ[STARTED_KEY] = time.perf_counter()

        def start(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() != HEADER.lower()]
            headers.append((HEADER, rid))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def current() -> str | None:
    """The id of the request being handled (None outside a request)."""
    if not has_request_context():
        return None
    return request.environ.get(ENVIRON_KEY)


def elapsed() -> float | None:
    """Seconds since the request reached the app (None outside a request)."""
    if not has_request_context() or STARTED_KEY not in request.environ:
        return None
    return time.perf_counter() - request.environ[STARTED_KEY]


def init_app(app: Flask) -> None:
    """Wrap the app in the middleware."""
    app.wsgi_app = RequestIdMiddleware(app.wsgi_app)
