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


def test_a_name_taken_at_the_same_moment_is_a_409_that_says_so(
    app, client, auth, seed, monkeypatch
):
    """Two admins (or one double click) create the same username at once: each form's check
    finds it free, the database refuses the second at its commit. Was that a 500? It is a 409
    page that says so, and nothing of the second is written; under /api, JSON."""
    import sqlalchemy as sa

    from webapp.admin.forms import UserForm
    from webapp.extensions import db
    from webapp.models import User
    from webapp.models.audit import AuditEvent

    # The first request's user was committed after the second's check passed.
    monkeypatch.setattr(UserForm, "validate_username", lambda form, field: None)

    def counts():
        with app.app_context():
            return [
                db.session.scalar(sa.select(sa.func.count()).select_from(model))
                for model in (User, AuditEvent)
            ]

    auth.login("admin")
    before = counts()
    data = {
        "csrf_token": auth.csrf("/admin/users"), "username": "patrol", "role": "patroller",
        "estates": str(seed.estate_ids[0]), "password": "a-long-password-1",
    }  # fmt: skip
    response = client.post("/admin/users", data=data)
    assert response.status_code == 409
    assert "有人在同一時間儲存了相同的內容" in response.get_data(as_text=True)
    assert counts() == before
    wanted = client.post("/admin/users", data=data, headers={"Accept": "application/json"})
    assert wanted.status_code == 409 and wanted.get_json()["error"] == "conflict"
    assert client.get("/admin/users").status_code == 200  # the session goes on


def test_any_other_integrity_error_is_still_a_fault(app, client):
    """Is a refusal that is no unique clash (a missing value, a foreign key) still logged and
    answered 500?"""
    from webapp.extensions import db
    from webapp.models.desk import DeskItemEvent

    @public
    def broken():
        db.session.add(DeskItemEvent(item_id=2**30, estate_id=2**30, action="receive",
                                     status="held", at=None, note=""))  # fmt: skip
        db.session.commit()

    app.add_url_rule("/broken", "broken", broken)
    assert client.get("/broken").status_code == 500


def test_a_value_its_column_cannot_hold_is_a_422_that_says_so(app, client, seed):
    """A value no form should let through but its column cannot hold (the forms judge a name's
    length once folded now: tests/webapp/registry/test_folded_length.py; this is the net
    behind them): on PostgreSQL the insert was refused with a 500. Is it a 422 that says what
    to do, nothing written? (SQLite keeps any length: there it is simply added.)"""
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.models import Building

    @public
    def too_long():
        db.session.add(Building(estate_id=seed.estate_ids[0], name="長" * 41, floors=3))
        db.session.commit()
        return "added"

    app.add_url_rule("/too-long", "too_long", too_long)
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Building))
        postgres = db.engine.dialect.name == "postgresql"
    response = client.get("/too-long")
    with app.app_context():
        after = db.session.scalar(sa.select(sa.func.count()).select_from(Building))
    if postgres:
        assert response.status_code == 422
        assert "文字太長或數字太大" in response.get_data(as_text=True)
        assert after == before
    else:
        assert response.status_code == 200 and after == before + 1


def test_the_database_refusing_a_value_is_422_and_any_other_data_error_500(app, client):
    """Is a value refused by its column (SQLSTATE class 22) answered 422 with the message,
    as JSON under /api, and any other data error still a 500?"""
    from sqlalchemy.exc import DataError

    class Refused(Exception):
        def __init__(self, sqlstate):
            super().__init__("refused")
            self.sqlstate = sqlstate

    @public
    def too_long():
        raise DataError("INSERT", {}, Refused("22001"))

    @public
    def other():
        raise DataError("INSERT", {}, Refused("XX000"))

    app.add_url_rule("/too-long", "too_long", too_long)
    app.add_url_rule("/api/too-long", "api_too_long", too_long)
    app.add_url_rule("/other", "other", other)
    page = client.get("/too-long")
    assert page.status_code == 422 and "文字太長或數字太大" in page.get_data(as_text=True)
    api = client.get("/api/too-long")
    assert api.status_code == 422 and api.get_json()["error"] == "bad_input"
    assert client.get("/other").status_code == 500
