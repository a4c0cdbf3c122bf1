"""The edge: input that no route can store or compute with is refused before any view runs.

Every request passes :func:`guard` first (before authentication and CSRF): text with a NUL
character or an unpaired UTF-16 surrogate (PostgreSQL refuses the first, no UTF-8 encoder
takes the second), and JSON numbers that are not finite, are answered 400 with a message
naming the field, wherever they are (path, query, form fields, file names, JSON body).
Integers in URLs are 32-bit (the ``int`` converter), and query arguments are read by
``webapp.forms`` ``FilterForm``s, whose numbers and dates are bounded the same way, so a number
or a date no column or calendar holds is a 4xx too, never a database or overflow error.

A view that checks the items of a JSON list one by one (the sync push, where one bad op must
not sink the good ops of its batch) declares so with :func:`checks_own`; the edge then checks
the rest of the body only.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from webapp.values import (  # noqa: F401 - the edge's checks, importable from here too
    MAX_INT,
    bounded_date,
    bounded_utc,
    escape_unstorable,
    object_id,
    storable,
    unstorable_text,
)


class BadInput(BadRequest):
    """A 400 whose message says what was wrong (shown as is, under /api and on pages)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class Int32Converter(IntegerConverter):
    """``<int:...>`` in every URL: 0 to 2**31-1; a larger number names nothing (404)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def checks_own(key: str):
    """Declare that a view checks each item of the JSON body's ``key`` list itself."""

    def decorate(view):
        view.edge_checks_own = key
        return view

    return decorate


def _refuse(field: str):
    raise BadInput(
        _(
            "%(field)s: send text without NUL characters or unpaired surrogates, "
            "and finite numbers.",
            field=field[:60] if not unstorable_text(field) else "?",
        ),
        field,
    )


def guard() -> None:
    """Before every request: refuse text and numbers no route can store (400)."""
    if unstorable_text(request.path):
        _refuse("path")
    for name, value in request.args.items(multi=True):
        if unstorable_text(name) or unstorable_text(value):
            _refuse(name)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            if unstorable_text(name) or unstorable_text(value):
                _refuse(name)
        for name, upload in request.files.items(multi=True):
            if unstorable_text(name) or unstorable_text(upload.filename or ""):
                _refuse(name)
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:
            raise BadInput(_("The JSON is nested too deeply.")) from None
        own = _own_key()
        if isinstance(body, dict) and own and isinstance(body.get(own), list):
            body = {k: v for k, v in body.items() if k != own}
        if not storable(body):
            _refuse("JSON")


def _own_key() -> str | None:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "edge_checks_own", None)


def init_app(app: Flask) -> None:
    """Bound the URL integer converter and put the guard in front of every other check.

    Call before any blueprint is registered (rules take their converter when added).
    """
    app.url_map.converters["int"] = Int32Converter
    # URL value preprocessors run before every before_request function (the bearer and
    # session checks insert themselves first among those): the guard goes ahead of all.
    app.url_value_preprocessor(lambda _endpoint, _values: guard())
    app.after_request(no_store)


def no_store(response):
    """After every request of a logged-in user: no cache keeps the page or export (a shared
    or back-button cache would show one user's estates to the next). Static files, and
    content-addressed photos marked ``immutable`` by their view, keep their own caching."""
    cache = response.headers.get("Cache-Control") or ""
    if request.endpoint == "static" or "immutable" in cache or cache == "no-store":
        # Already kept from every cache (every /api answer is): asking who is logged in would
        # load the user again after the view's commit, one statement per request.
        return response
    if getattr(current_user, "is_authenticated", False):
        response.headers["Cache-Control"] = "no-store"
    return response
