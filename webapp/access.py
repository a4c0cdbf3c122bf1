"""Who may call each route, declared on the view and enforced in one place.

Every view says ``@public`` or ``@roles(...)``; a route without a declaration is
refused (403) and fails the test that walks ``app.url_map``. ``scope`` names the
kind of object each URL argument identifies, so that test can prove a user of one
estate gets 404 for every object of another.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from webapp.extensions import SAFE_METHODS, csrf
from webapp.models import ROLES

ALL_ROLES = frozenset(ROLES)


@dataclass(frozen=True)
class Access:
    """A route's declaration: public, or the roles that may call it."""

    public: bool = False
    roles: frozenset[str] = ALL_ROLES
    scope: dict[str, str] = field(default_factory=dict)


def public(view):
    """Declare a view callable without logging in."""
    view.access = Access(public=True)
    return view


def roles(*names: str, scope: dict[str, str] | None = None):
    """Declare the roles that may call a view (none named: any logged-in user)."""
    unknown = set(names) - ALL_ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorate(view):
        view.access = Access(roles=frozenset(names) or ALL_ROLES, scope=dict(scope or {}))
        return view

    return decorate


# The format a route's answers are read in, where it is not a page: {path: (format, fields)}.
ERROR_FORMATS = "rounds.error_formats"
FORMATS = ("json", "text")


def answers(fmt: str, **fields):
    """Declare that a view's clients read ``fmt`` only ("json": a monitor's /healthz, the
    browser's manifest; "text": Prometheus's /metrics), so its errors — a method it does not
    take, a fault, a limit, a database gone — are answered in it too, whatever the caller's
    Accept says. ``fields`` join every JSON error body (/healthz: ``status="error"``). Only a
    path without arguments may declare (it is matched before routing, for a 405)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")

    def decorate(view):
        view.answers = (fmt, dict(fields))
        # No automatic OPTIONS answer (an empty page): a method the view does not take is a
        # 405 in its format.
        view.provide_automatic_options = False
        return view

    return decorate


def error_formats(app) -> dict[str, str]:
    """The declared formats by path (read once from the URL map, after the blueprints)."""
    return {path: fmt for path, (fmt, _fields) in _declared(app).items()}


def _declared(app) -> dict[str, tuple[str, dict]]:
    found = app.extensions.get(ERROR_FORMATS)
    if found is None:
        found = {}
        for rule in app.url_map.iter_rules():
            declared = getattr(app.view_functions.get(rule.endpoint), "answers", None)
            if declared is None:
                continue
            if rule.arguments:
                raise ValueError(f"{rule.rule}: only a path without arguments declares answers")
            found[rule.rule] = declared
        app.extensions[ERROR_FORMATS] = found
    return found


def error_format() -> tuple[str, dict]:
    """How this request's errors are answered: ("json" | "text" | "html", fields for JSON)."""
    declared = _declared(current_app).get(request.path)
    if declared is not None:
        return declared
    return ("json", {}) if wants_json() else ("html", {})


def wants_json() -> bool:
    """Tell whether the caller expects JSON rather than a page."""
    declared = _declared(current_app).get(request.path)
    if declared is not None:
        return declared[0] == "json"
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def enforce() -> None:
    """Before each request: authenticate, check the role, and check CSRF where due."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    spec: Access | None = getattr(view, "access", None)
    if spec is None:
        abort(403)
    # A bearer token is not sent automatically by a browser, so it needs no CSRF token.
    if request.method not in SAFE_METHODS and not g.get("bearer_device"):
        csrf.protect()
    if spec.public:
        return None
    if not current_user.is_authenticated:
        if wants_json():
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if current_user.role not in spec.roles:
        abort(403)
    return None
