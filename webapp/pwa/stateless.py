"""Answers that never set or clear a cookie: what the service worker precaches.

The worker precaches the shell pages while the user logs in. An answer that set a cookie
(Flask-Login's "strong" protection rewrites an anonymous session and clears the remember
cookie; a refreshed permanent session is re-sent) could land after the login form's answer
and overwrite the new session: the user is bounced back to /login (issue 15, defect 2).

So these endpoints are served as for an anonymous visitor — the user is never loaded, so the
session is never read for a user nor modified — and any Set-Cookie that something still adds
is dropped on the way out, after Flask has saved the session. The pages are the same for
everyone anyway (they are precached), and their scripts ask /api for who is logged in.
"""

from __future__ import annotations

from flask import Flask, request

from webapp.extensions import login_manager

ENVIRON_KEY = "rounds.stateless"
# Endpoints fetched by the worker's precache or by the browser in the background.
STATELESS_ENDPOINTS = frozenset(
    {
        "pwa.app_shell",
        "pwa.scan",
        "pwa.rounds_shell",
        "pwa.keys_shell",
        "pwa.service_worker",
        "pwa.manifest",
        "static",
    }
)


def _mark() -> None:
    if request.endpoint in STATELESS_ENDPOINTS:
        request.environ[ENVIRON_KEY] = True
        # An anonymous user for this request: Flask-Login never looks at the session.
        login_manager._update_request_context_with_user()


class DropCookies:
    """WSGI middleware: a response to a request marked stateless carries no Set-Cookie."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            if environ.get(ENVIRON_KEY):
                headers = [(k, v) for k, v in headers if k.lower() != "set-cookie"]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def init_app(app: Flask) -> None:
    """Mark stateless requests and strip their cookies; install before any hook that reads
    the user (create_app calls it first)."""
    app.before_request(_mark)
    app.wsgi_app = DropCookies(app.wsgi_app)
