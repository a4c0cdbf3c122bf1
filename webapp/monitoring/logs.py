"""Logs: one line per record on stderr, JSON in production (python-json-logger) or plain text
for development (``LOG_FORMAT``), each carrying the request id; and one line per request.

The handler goes on the root logger, so every module's ``logging.getLogger(__name__)``, Flask's
``app.logger`` and gunicorn's error log (deploy/gunicorn.conf.py) come out the same way. It is
installed once per process: a second app made in the same process replaces it.
"""

from __future__ import annotations

import logging
import sys

from flask import Flask, request
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

from webapp.monitoring import request_id

HANDLER_NAME = "rounds"
FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
access_log = logging.getLogger("rounds.access")
# Libraries whose INFO lines say what a user wrote: fontTools logs every PDF's subset with the
# glyph names it kept (what a notice or a report says). Their warnings still come through.
QUIET_BELOW_WARNING = ("fontTools",)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id.current() or "-"
        return True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (as logging's last resort does), so a
    handler made before stderr was replaced (by a test runner, a daemon) keeps working."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def formatter(kind: str) -> logging.Formatter:
    """The formatter for ``LOG_FORMAT``: JSON objects, or readable text."""
    if kind == "json":
        return JsonFormatter(
            "{levelname}{name}{message}{request_id}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
        )
    return logging.Formatter(TEXT_FORMAT)


def make_handler(kind: str) -> logging.Handler:
    """A stderr handler with the request id filter and the chosen format."""
    handler = StderrHandler()
    handler.name = HANDLER_NAME
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(formatter(kind))
    return handler


def install(kind: str, level: str) -> logging.Handler:
    """Put the handler on the root logger, replacing one installed before."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(old)
    handler = make_handler(kind)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_BELOW_WARNING:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler


def log_request(response):
    """After every request: one line saying what was asked, what was answered, how fast."""
    seconds = request_id.elapsed()
    rule = request.url_rule.rule if request.url_rule is not None else None
    access_log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,  # never the query string: it may carry a cursor or a code
            "route": rule,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1) if seconds is not None else None,
        },
    )
    return response


def init_app(app: Flask) -> None:
    """Send the process's logs through one handler in the configured format."""
    install(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    # Flask gives app.logger its own stderr handler when it sees none: ours is on the root.
    app.logger.removeHandler(default_handler)
    app.after_request(log_request)
