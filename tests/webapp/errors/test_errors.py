"""Errors: JSON under /api, pages in the app's look elsewhere, never a traceback."""

from flask import abort

from webapp.access import public, roles


def test_unknown_page_is_a_friendly_404(client):
    """Does a missing page render the app's 404 page, in zh-Hant?"""
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert 'class="error-code">404' in page
    assert "找不到此頁面" in page


def test_unknown_api_route_is_json(client):
    """Does a missing /api route answer JSON in the API's error shape?"""
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == "not_found"
    assert body["message"]


def test_api_without_login_is_401_json(app, client):
    """Does an /api route called without credentials get 401 JSON, not a login redirect?"""

    @roles()
    def probe():
        return {"ok": True}

    app.add_url_rule("/api/probe", "probe", probe)
    response = client.get("/api/probe")
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_unexpected_exception_is_a_plain_500_page(app, client):
    """Does a crash render the 500 page without the exception's text?"""

    @public
    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom", "boom", boom)
    response = client.get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "secret internals" not in page
    assert "系統發生錯誤" in page


def test_forbidden_role_gets_403_page(app, client, auth, seed):
    """Does a logged-in user of the wrong role get the 403 page?"""

    @roles("admin")
    def admin_only():
        return "admin"

    app.add_url_rule("/admin-only", "admin_only", admin_only)
    auth.login("patrol")
    response = client.get("/admin-only")
    assert response.status_code == 403
    assert "沒有執行此操作的權限" in response.get_data(as_text=True)
    auth.logout()
    auth.login("admin")
    assert client.get("/admin-only").status_code == 200


def test_http_errors_raised_by_views_keep_their_code(app, client):
    """Does an abort(413) in a view reach the client as 413 JSON under /api?"""

    @public
    def too_big():
        abort(413)

    app.add_url_rule("/api/too-big", "too_big", too_big)
    response = client.get("/api/too-big")
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"
