"""/metrics: Prometheus's scrape, answered only to ``Authorization: Bearer <METRICS_TOKEN>``."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, request

from webapp.access import answers, public
from webapp.extensions import limiter
from webapp.monitoring import metrics

bp = Blueprint("monitoring", __name__)


def _authorized(token: str) -> bool:
    scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    # Constant time: the comparison must not tell how much of a guess was right.
    return hmac.compare_digest(given.strip().encode(), token.encode())


@bp.get("/metrics")
@public  # the bearer token below is the check: a scraper has no login
@answers("text")  # Prometheus reads text, and shows a failed scrape's body as text
@limiter.exempt
def scrape():
    """Send the metrics to the scraper that holds the token."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)  # not configured: not served at all
    if not _authorized(token):
        response = Response("metrics need the bearer token\n", 401, mimetype="text/plain")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.exposition(request.headers.get("Accept"))
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response
