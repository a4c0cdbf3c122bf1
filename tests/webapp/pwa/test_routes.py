"""The installable app's routes and headers, without a browser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from webapp.pwa import csp

BUILT = Path(__file__).resolve().parents[3] / "static" / "build" / "sw.js"


def test_manifest_meets_the_install_criteria(client):
    """Does the manifest name the app, its start, scope, display, colours and icons?"""
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    body = json.loads(response.get_data(as_text=True))
    assert body["name"] and body["short_name"]
    assert (body["start_url"], body["scope"], body["display"]) == ("/app", "/", "standalone")
    assert body["lang"] == "zh-Hant"
    assert body["theme_color"] and body["background_color"]
    sizes = {(i["sizes"], i["purpose"]) for i in body["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in body["icons"]:
        served = client.get(icon["src"])
        assert served.status_code == 200 and served.mimetype == "image/png"
        served.close()


@pytest.mark.skipif(not BUILT.exists(), reason="static/build/sw.js is built by `make build`")
def test_service_worker_is_served_at_the_root_scope_uncached(app, client):
    """Is /sw.js JavaScript for scope /, never cached, with the shell pages and a revision?"""
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    source = response.get_data(as_text=True)
    assert "__ROUNDS_PAGES__" not in source
    assert '"url": "/app"' in source and '"url": "/scan"' in source
    app.config["PWA_REVISION"] = "next"
    assert client.get("/sw.js").get_data(as_text=True) != source


def test_shell_pages_are_public_and_carry_no_user(client, auth, seed):
    """Are /app and /scan served without login, the same whoever asks (they are precached)?"""
    anonymous = client.get("/app")
    assert anonymous.status_code == 200
    assert client.get("/scan").status_code == 200
    auth.login("patrol")
    page = client.get("/app").get_data(as_text=True)
    assert "patrol" not in page.replace("patrol-", "")  # no user name baked into the shell
    assert "csrf_token" not in page


def test_every_response_carries_the_csp_and_pages_vary_on_htmx(client, seed, auth):
    """Do pages get the CSP (no inline script, wasm allowed) and Vary: HX-Request?"""
    auth.login("patrol")
    for path in ("/", "/app", "/login", "/manifest.webmanifest"):
        response = client.get(path, follow_redirects=True)
        assert response.headers["Content-Security-Policy"] == csp.POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HX-Request" in client.get("/").headers["Vary"]
    assert "'unsafe-inline'" not in csp.POLICY and "'unsafe-eval'" not in csp.POLICY
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp.POLICY


def test_patrollers_get_the_scan_link_and_every_page_the_manifest(client, auth, seed):
    """Does a patroller's menu link to the scanner, and does every page link the manifest?"""
    auth.login("patrol")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/scan"' in home
    assert 'rel="manifest"' in home and 'rel="apple-touch-icon"' in home
    auth.logout()
    auth.login("supervisor")
    assert 'href="/scan"' not in client.get("/").get_data(as_text=True)


# What the service worker precaches, and what the browser fetches in the background.
PRECACHED = ("/app", "/scan", "/app/rounds", "/app/keys", "/sw.js", "/manifest.webmanifest")


def test_precached_urls_never_set_or_clear_a_cookie(app, client, auth, seed):
    """Issue 15 (defect 2): a precache fetch that lands after the login must not overwrite the
    new session. Whatever session the request carries — none, the login page's anonymous one,
    a logged-in one, a remember cookie — the answer carries no Set-Cookie, and the session it
    carried still works afterwards."""
    sessions = {"none": None}
    client.get("/login")  # the login form's anonymous session (a CSRF token in it)
    sessions["anonymous"] = client.get_cookie("rounds_session").value
    auth.login("patrol")
    sessions["logged-in"] = client.get_cookie("rounds_session").value
    for name, value in sessions.items():
        client.delete_cookie("rounds_session")
        if value is not None:
            client.set_cookie("rounds_session", value)
        client.set_cookie("remember_token", "stale")
        for path in PRECACHED:
            response = client.get(path)
            assert response.status_code in (200, 503), (name, path)
            assert response.headers.getlist("Set-Cookie") == [], (name, path)
    # The logged-in session is untouched by all of it.
    client.set_cookie("rounds_session", sessions["logged-in"])
    assert client.get("/", follow_redirects=False).status_code == 200


def test_the_csp_names_only_directives_webkit_knows(client):
    """WebKit logs `Unrecognized Content-Security-Policy directive 'manifest-src'` on every
    page; default-src 'self' covers the manifest the same way."""
    policy = client.get("/app").headers["Content-Security-Policy"]
    directives = {part.split()[0] for part in policy.split("; ")}
    assert "manifest-src" not in directives
    assert "default-src 'self'" in policy


def test_the_session_endpoint_names_the_user_and_its_csrf_token_only_to_a_session(
    client, auth, seed
):
    """GET /api/auth/session: 401 JSON when not logged in; the user and a CSRF token that the
    session-cookie path of POST /api/auth/device takes; 401 for a bearer token alone."""
    anonymous = client.get("/api/auth/session")
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"] == "not_logged_in"
    auth.login("patrol")
    answer = client.get("/api/auth/session")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["user"] == {"username": "patrol", "role": "patroller"}
    # Masked anew in every (compressed) answer, as on every page (BREACH): never the same text.
    assert client.get("/api/auth/session").get_json()["csrf_token"] != body["csrf_token"]
    minted = client.post(
        "/api/auth/device",
        json={"device_name": "test phone"},
        headers={"X-CSRFToken": body["csrf_token"]},
    )
    assert minted.status_code == 201
    token = minted.get_json()["token"]
    assert "no-store" in answer.headers["Cache-Control"]
    client.delete_cookie("rounds_session")
    bearer = client.get("/api/auth/session", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 401


# ---------------------------------------------------------------- errors as clients read them


def test_the_manifests_errors_are_json(app, client, monkeypatch):
    """Is a method the manifest does not answer (405) or a fault building it (500) answered in
    JSON, as the manifest itself is, not as the HTML page?"""
    response = client.post("/manifest.webmanifest", headers={"Accept": "text/html"})
    assert response.status_code == 405 and response.mimetype == "application/json"
    assert response.get_json()["error"] == "method_not_allowed"

    def broken(*_args, **_kwargs):
        raise RuntimeError("no icon")

    monkeypatch.setattr("webapp.pwa.views.url_for", broken)
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 500 and response.mimetype == "application/json"


def test_every_json_route_outside_the_api_declares_its_errors_json(app, client, seed):
    """Walking the URL map: does every route outside /api whose answer is JSON declare it
    (``access.answers("json")``), so that its errors are JSON too — and does each declared
    route answer a method it does not take (405) in its declared format?"""
    from webapp.access import error_formats

    declared = error_formats(app)
    found = {}
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if rule.arguments or "GET" not in rule.methods or path.startswith(("/api/", "/static")):
            continue
        response = client.get(path)
        if response.mimetype.endswith("json"):
            found[path] = "json"
    assert found and {p: f for p, f in declared.items() if f == "json"} == found
    mimetypes = {"json": "application/json", "text": "text/plain"}
    for path, fmt in declared.items():
        response = client.delete(path, headers={"Accept": "text/html"})
        assert (response.status_code, response.mimetype) == (405, mimetypes[fmt]), path
