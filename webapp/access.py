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


def wants_json() -> bool:
    """Tell whether the caller expects JSON rather than a page."""
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
