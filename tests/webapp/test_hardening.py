"""Smaller hardening of #17 item 12: no-store on logged-in pages and exports, production's
secret length, and demo data never in production."""

from __future__ import annotations

import pytest

from webapp.config import ConfigError, from_env


def _get_routes(app):
    """Every GET route without URL arguments that needs a login (public ones are the same
    for everyone: the PWA shell and manifest answer as to an anonymous visitor)."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        if not app.view_functions[rule.endpoint].access.public:
            yield rule.rule


EXPORTS = [
    "/review/findings.csv",
    "/review/findings.xlsx",
    "/keys/register.csv",
    "/keys/register.xlsx",
    "/review/tables/open.csv",
    "/review/tables/open.xlsx",
]


@pytest.mark.parametrize("username", ["admin", "supervisor", "patrol"])
def test_every_logged_in_page_and_export_is_no_store(app, client, auth, seed, username):
    """Did pages and CSV/XLSX exports of one user's estates carry no Cache-Control at all?"""
    auth.login(username)
    checked = 0
    for path in [*_get_routes(app), *EXPORTS]:
        response = client.get(path)
        if response.status_code in (403, 404, 503):
            continue
        assert response.headers.get("Cache-Control") == "no-store", (path, response.headers)
        checked += 1
    for estate in seed.estate_ids[:1]:
        for fmt in ("csv", "xlsx"):
            for kind in ("units", "keys", "signs"):
                response = client.get(f"/registry/estates/{estate}/{kind}/export.{fmt}")
                if response.status_code == 200:
                    assert response.headers["Cache-Control"] == "no-store"
                    checked += 1
    assert checked > (1 if username == "patrol" else 10)


def test_static_files_keep_their_caching(client, auth, seed):
    auth.login("patrol")
    response = client.get("/static/css/app.css")
    assert response.headers.get("Cache-Control") != "no-store"
    response.close()


@pytest.mark.parametrize("secret", ["short", "x" * 31, "密" * 10])
def test_production_refuses_a_secret_under_32_bytes(tmp_path, secret):
    with pytest.raises(ConfigError, match="32 bytes"):
        from_env({"ROUNDS_ENV": "production", "SECRET_KEY": secret}, instance=tmp_path)
    assert from_env({"ROUNDS_ENV": "production", "SECRET_KEY": "k" * 32}, instance=tmp_path)
    # Development and tests may use any secret.
    assert from_env({"SECRET_KEY": "short"}, instance=tmp_path)["SECRET_KEY"] == "short"


def test_demo_data_refuses_to_run_in_production(app):
    app.config["ROUNDS_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["demo-data", "--units-per-estate", "5"])
    assert result.exit_code != 0
    assert "production" in result.output
    from webapp.extensions import db
    from webapp.models import User

    with app.app_context():
        assert db.session.query(User).count() == 0
