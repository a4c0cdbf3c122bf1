"""The factory shows the wiring: everything app-wide is installed from create_app."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Ways of installing app-wide behaviour out of sight of create_app.
HIDDEN_WIRING = re.compile(
    r"before_request_funcs|record_once|app_template_filter|app_template_global"
    r"|app_context_processor|listens_for\(Session|^install\(\)|^@provider"
)


def _source_lines():
    for path in sorted((ROOT / "webapp").rglob("*.py")) + sorted((ROOT / "sync").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            yield f"{path.relative_to(ROOT)}:{number}", line


def test_nothing_app_wide_is_installed_from_a_blueprint_or_an_import():
    """Are hooks, template helpers, session listeners and providers all installed by create_app?"""
    offenders = [f"{where}: {line.strip()}" for where, line in _source_lines()]
    offenders = [o for o in offenders if HIDDEN_WIRING.search(o.split(": ", 1)[1])]
    assert offenders == []


def test_vary_is_set_in_one_place():
    """Does one helper send Vary: HX-Request (not each view, the headers and the extensions)?"""
    places = [where for where, line in _source_lines() if 'vary.add("HX-Request")' in line]
    assert len(places) == 1 and places[0].startswith("webapp/htmx.py:"), places


def test_every_answer_varies_on_hx_request_and_carries_the_security_headers(client):
    response = client.get("/login")
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_422_is_swapped_by_htmx_config_not_by_a_script(client):
    """Does htmx's own responseHandling swap a 422 (the form with its errors)?"""
    page = client.get("/login").get_data(as_text=True)
    config = json.loads(re.search(r"name=\"htmx-config\" content='([^']+)'", page).group(1))
    rules = config["responseHandling"]
    first_422 = next(r for r in rules if re.fullmatch(r["code"].replace(".", r"\d"), "422"))
    assert first_422 == {"code": "422", "swap": True}
    assert next(r for r in rules if re.fullmatch(r["code"].replace(".", r"\d"), "500"))["error"]
    scripts = (ROOT / "static" / "js").rglob("*.js")
    assert [p.name for p in scripts if "htmx:beforeSwap" in p.read_text()] == []


def test_the_item_history_providers_are_installed_in_order(app):
    from webapp.items.history import PROVIDERS

    assert [f"{fn.__module__}.{fn.__name__}" for fn in PROVIDERS] == [
        "webapp.items.history.label_codes",
        "webapp.review.timeline.review_timeline",
        "webapp.keys.history.key_events",
        "webapp.keys.request_history.request_events",
    ]


def test_a_bearer_token_logs_in_through_flask_logins_request_loader(app):
    """Does the token's user come through request_loader, not a private Flask-Login call?"""
    from webapp.api import auth as api_auth
    from webapp.extensions import login_manager

    assert login_manager._request_callback is api_auth.load_bearer_user
    source = (ROOT / "webapp" / "api" / "auth.py").read_text()
    assert "_update_request_context_with_user" not in source
