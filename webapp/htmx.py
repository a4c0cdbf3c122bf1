"""Page or fragment: the one place that decides what an htmx request gets, and its Vary."""

from __future__ import annotations

from flask import Flask, render_template
from flask_htmx import make_response

from webapp.extensions import htmx


def wants_fragment() -> bool:
    """Tell whether the request is htmx's and not a boosted page load (it gets a fragment)."""
    return bool(htmx) and not htmx.boosted


def page_or_fragment(
    page_template: str, fragment_template: str, status: int = 200, trigger=None, **context
):
    """Render the fragment for htmx, else the page (which includes the fragment)."""
    template = fragment_template if wants_fragment() else page_template
    return make_response(render_template(template, **context), status, trigger=trigger)


def _vary(response):
    # Pages and htmx fragments share URLs: caches must keep them apart.
    response.vary.add("HX-Request")
    return response


def init_app(app: Flask) -> None:
    """Send ``Vary: HX-Request`` with every answer."""
    app.after_request(_vary)
