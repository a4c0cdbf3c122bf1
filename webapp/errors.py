"""Errors answered as JSON under /api and as pages in the app's own look elsewhere; both carry
the request id (webapp/monitoring/request_id.py), so a user can quote it and it leads to the
request's log lines."""

from __future__ import annotations

import json
import logging
import math
import time
from datetime import datetime

from flask import Flask, jsonify, make_response, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import (
    Conflict,
    HTTPException,
    InternalServerError,
    UnprocessableEntity,
)

from webapp.access import error_format, wants_json
from webapp.edge import BadInput
from webapp.extensions import db, limiter
from webapp.monitoring import request_id

log = logging.getLogger(__name__)


class BadInputPage(UnprocessableEntity):
    """A 422 whose message is shown as is (under /api as ``bad_input``)."""

    name = "Bad Input"


def api_error(status: int, error: str, message: str, fields: dict | None = None):
    """Build an API error response in the API's one shape:
    {"error", "message", "fields"?, "request_id"}."""
    body = {"error": error, "message": message}
    if fields:
        body["fields"] = fields
    rid = request_id.current()
    if rid:
        body["request_id"] = rid
    return jsonify(body), status


# What a 503 asks a client to wait before it tries again (the database restarting).
UNAVAILABLE_RETRY_SECONDS = 5
# What a 429 that does not say how long (a limit with no reset time) asks.
DEFAULT_RETRY_SECONDS = 60


def retry_seconds(seconds: float) -> int:
    """What a 429 asks a client to wait, as its Retry-After header and its message both say
    it: whole seconds under a minute, else whole minutes (rounded up: never sooner than the
    limit allows)."""
    whole = max(1, math.ceil(seconds))
    return whole if whole < 60 else math.ceil(whole / 60) * 60


def wait_message(seconds: int) -> str:
    """The 429's words for ``retry_seconds``' value: the same number its Retry-After says."""
    if seconds < 60:
        return _("Too many attempts. Please wait %(seconds)d s and try again.", seconds=seconds)
    minutes = math.ceil(seconds / 60)
    return _("Too many attempts. Please wait %(minutes)d min and try again.", minutes=minutes)


def _retry_after(exc: HTTPException) -> float:
    """How long a 429 asks to wait, in seconds: its own ``retry_after`` (a password limit's,
    werkzeug's), a rate limit's reset, or the default."""
    after = getattr(exc, "retry_after", None)
    if isinstance(after, datetime):
        return after.timestamp() - time.time()
    if isinstance(after, int | float) and after > 0:
        return after
    limit = limiter.current_limit if limiter.enabled else None
    if limit is not None:
        return limit.reset_at - time.time()
    return DEFAULT_RETRY_SECONDS


def error_page(code: int, message: str) -> str:
    """The error page, with the request id to quote."""
    return render_template(
        "errors/error.html", code=code, message=message, request_id=request_id.current()
    )


def _message(exc: HTTPException) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("Please log in."),
        403: _("You do not have permission to do this."),
        404: _("Nothing here. It may have been moved, or belong to another estate."),
        405: _("This action is not allowed here."),
        409: _(
            "Someone saved the same thing at the same moment, so this was not saved. Reload"
            " the page to see it, then try again if it is still needed."
        ),
        413: _("That upload is too large."),
        415: _("That type of file is not accepted."),
        422: _("Some of what was sent is not valid."),
        500: _("Something went wrong on our side. It has been logged."),
        503: _("The service is unavailable just now. Please try again shortly."),
    }
    return messages.get(exc.code or 500, exc.description or "")


def respond(code: int, error: str, message: str, headers=None):
    """An error in the format the caller reads (webapp.access.error_format): the API's JSON
    (with a route's own fields: /healthz says ``"status": "error"``), plain text for a
    scraper, else the error page — with ``headers`` (Retry-After, Allow, ...)."""
    fmt, fields = error_format()
    if fmt == "json":
        response, _status = api_error(code, error, message)
        if fields:
            response.set_data(json.dumps({**fields, **response.get_json()}, ensure_ascii=False))
    elif fmt == "text":
        rid = request_id.current()
        text = f"{code} {error}: {message}" + (f" ({rid})" if rid else "") + "\n"
        response = make_response(text, code)
        response.mimetype = "text/plain"
    else:
        response = make_response(error_page(code, message), code)
    response.status_code = code
    for name, value in headers or ():
        response.headers[name] = value
    return response


def handle_http(exc: HTTPException):
    """Render an HTTP error in the format the caller wants."""
    code = exc.code or 500
    kept = ("allow", "www-authenticate", "retry-after")
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() in kept]
    if isinstance(exc, CSRFError):
        message = _("This form has expired. Please reload the page and try again.")
        error = "csrf"
    elif isinstance(exc, BadInput | BadInputPage):
        message, error = exc.description, "bad_input"
    else:
        message = _message(exc)
        error = (exc.name or "error").lower().replace(" ", "_")
    if code == 429:
        seconds = retry_seconds(_retry_after(exc))
        message = wait_message(seconds)
        headers.append(("Retry-After", str(seconds)))
    if code == 401 and wants_json():
        headers.append(("WWW-Authenticate", "Bearer"))
    return respond(code, error, message, headers)


def handle_unexpected(exc: Exception):
    """Log an unexpected exception and answer a plain 500, never a traceback."""
    log.exception("unhandled error", exc_info=exc)
    return handle_http(InternalServerError())


def handle_unavailable(exc: Exception):
    """A database that is busy or gone (restarted, unreachable, connection cut mid-request)
    is not the caller's fault: 503, which phones treat as "retry later". The session is
    discarded without trusting the dead connection (its rollback may fail too)."""
    log.warning("database unavailable: %s", exc)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone: drop it, the pool reconnects
        log.warning("rollback on a lost connection failed", exc_info=True)
        try:
            db.session.invalidate()
        except Exception:  # noqa: BLE001
            log.warning("discarding the lost connection failed", exc_info=True)
    message = _("The service is unavailable just now. Please try again shortly.")
    headers = [("Retry-After", str(UNAVAILABLE_RETRY_SECONDS))]
    if error_format()[0] != "html":
        response = respond(503, "unavailable", message, headers)
    else:
        try:
            page = error_page(503, message)
        except Exception:  # noqa: BLE001 - the page itself needed the database
            page = f"{message} ({request_id.current()})"
        response = make_response(page, 503)
        response.headers.update(headers)
    return response, 503


def unique_clash(exc: IntegrityError) -> bool:
    """Whether the database refused a row because another holds its unique value (PostgreSQL's
    23505, SQLite's UNIQUE constraint)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "23505":
        return True
    if getattr(orig, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_UNIQUE":
        return True
    return "UNIQUE constraint failed" in str(orig)


def _roll_back(after: str) -> None:
    """Undo the request's writes before answering a refused statement; a rollback that fails
    is logged, and the answer goes out either way (the pool replaces a bad connection)."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - answered either way
        log.warning("rollback after %s failed", after, exc_info=True)


def handle_integrity(exc: IntegrityError):
    """A unique value taken between a form's check and its commit (two people, or a double
    click, saving the same name at once: the check passed for both, the database refused the
    second) is a 409 that says so, with nothing written; any other refusal is a fault (500)."""
    _roll_back("an integrity error")
    if not unique_clash(exc):
        return handle_unexpected(exc)
    log.warning("unique value taken at commit: %s", exc.orig)
    return handle_http(Conflict())


def value_refused(exc: DataError) -> bool:
    """Whether the database refused a value it cannot hold (SQLSTATE class 22: a text longer
    than its column, a number out of its type's range), not the statement itself."""
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state is not None:
        return str(state).startswith("22")
    return orig.__class__.__name__ == "DataError"  # SQLite's own, for what it refuses


def handle_data(exc: DataError):
    """A value a form let through but its column cannot hold — a name whose NFKC folding
    (checked before it) made it longer than its column (﷽ is 18 characters folded): on
    PostgreSQL that was a 500. It is a 422 that says so, with nothing written; the form's gap
    is logged to be closed. Any other data error is a fault (500)."""
    _roll_back("a data error")
    if not value_refused(exc):
        return handle_unexpected(exc)
    log.warning("a value its column cannot hold reached the database: %s", exc.orig)
    return handle_http(
        BadInputPage(
            _(
                "Some of what was sent does not fit: a text is too long, or a number too"
                " large. Shorten it and try again."
            )
        )
    )


def init_app(app: Flask) -> None:
    """Register the handlers."""
    app.register_error_handler(IntegrityError, handle_integrity)
    app.register_error_handler(DataError, handle_data)
    app.register_error_handler(OperationalError, handle_unavailable)
    app.register_error_handler(InterfaceError, handle_unavailable)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(Exception, handle_unexpected)
