"""Liveness for load balancers and monitors."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from webapp.access import answers, public
from webapp.extensions import limiter
from webapp.health import checks

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
@answers("json", status="error")  # a monitor reads JSON: every error here is JSON, "error"
@limiter.exempt
def healthz():
    """Report whether the app and what it depends on answer (503 naming what did not)."""
    results = checks.run(current_app._get_current_object())
    healthy = all(result == "ok" for result in results.values())
    body = {"status": "ok" if healthy else "error", **results}
    return jsonify(body), 200 if healthy else 503
