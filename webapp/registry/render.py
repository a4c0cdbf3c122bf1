"""The one place that decides whether a request gets a whole page or an htmx fragment."""

from __future__ import annotations

from flask import render_template
from flask_htmx import make_response

from webapp.extensions import htmx


def wants_fragment() -> bool:
    """True for an htmx request that is not a boosted page load."""
    return bool(htmx) and not htmx.boosted


def page_or_fragment(
    page_template: str, fragment_template: str, status: int = 200, trigger=None, **context
):
    """Render the fragment for htmx, else the page (which includes the fragment)."""
    template = fragment_template if wants_fragment() else page_template
    response = make_response(render_template(template, **context), status, trigger=trigger)
    response.vary.add("HX-Request")
    return response
