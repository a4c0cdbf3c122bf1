"""Logging in and out through the form."""

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import User


def test_every_demo_user_logs_in_and_lands_on_their_home(client, auth, seed):
    """Does each demo user reach the home screen of their own role?"""
    titles = {
        "patrol": "巡查",
        "supervisor": "審閱總覽",
        "engineer": "審批與派工",
        "desk": "鑰匙前臺",
        "admin": "登記冊",
        "patrol2": "巡查",
    }
    for username, title in titles.items():
        response = auth.login(username)
        assert response.status_code == 303, username
        assert response.headers["Location"] == "/"
        page = client.get("/").get_data(as_text=True)
        assert f'<h1 class="page-title">{title}</h1>' in page, username
        auth.logout()


def test_wrong_password_does_not_log_in_and_says_so(client, auth, seed):
    """Is a wrong password refused with a message, and no session made?"""
    response = auth.login("patrol", "not-the-password")
    assert response.status_code == 401
    assert "帳號或密碼錯誤" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_user_gets_the_same_message(client, auth, seed):
    """Is an unknown username told apart from a wrong password? (It must not be.)"""
    response = auth.login("nobody", "whatever-password")
    assert response.status_code == 401
    assert "帳號或密碼錯誤" in response.get_data(as_text=True)


def test_sixth_failed_try_in_a_minute_is_refused(client, auth, seed):
    """Is the sixth failed login within a minute refused, even with the right password?"""
    for _ in range(5):
        assert auth.login("patrol", "wrong-password").status_code == 401
    refused = auth.login("patrol")
    assert refused.status_code == 429
    assert "嘗試次數過多" in refused.get_data(as_text=True)


def test_successful_logins_do_not_count_against_the_limit(client, auth, seed):
    """Can a user log in and out more than five times in a minute?"""
    for _ in range(7):
        assert auth.login("patrol").status_code == 303
        auth.logout()


def test_login_starts_a_new_session(client, auth, seed):
    """Is the session cookie replaced on login (no session fixation)?"""
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by-attacker"
    auth.login("patrol")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("_user_id") == str(seed.user_ids["patrol"])


def test_login_without_csrf_token_is_refused(client, seed):
    """Is a login form posted without its CSRF token refused with a friendly page?"""
    response = client.post("/login", data={"username": "patrol", "password": "patrol-demo"})
    assert response.status_code == 400
    assert "表單已過期" in response.get_data(as_text=True)


def test_empty_form_gets_messages_beside_the_fields(client, auth, seed):
    """Does an empty login form say what is missing rather than fail?"""
    response = client.post("/login", data={"csrf_token": auth.csrf()})
    assert response.status_code == 422
    assert response.get_data(as_text=True).count('class="field-error"') == 2


def test_empty_form_says_what_is_missing_in_traditional_chinese(client, auth, seed):
    """Is "required" said in the house's zh-Hant (此欄必填), never WTForms' bundled Simplified
    Chinese (该字段是必填字段) that a zh_Hant_TW reader was given on the login page?"""
    page = client.post("/login", data={"csrf_token": auth.csrf()}).get_data(as_text=True)
    assert page.count("此欄必填。") == 2
    assert "该" not in page and "字段" not in page
    long_name = {"csrf_token": auth.csrf(), "username": "x" * 65, "password": "p"}
    page = client.post("/login", data=long_name).get_data(as_text=True)
    assert "不能超過 64 個字。" in page


def test_deactivated_user_cannot_log_in(app, client, auth, seed):
    """Is a deactivated account refused?"""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "patrol"))
        user.active = False
        db.session.commit()
    assert auth.login("patrol").status_code == 401


def test_logout_ends_the_session(client, auth, seed):
    """After logout, does home ask for a login again?"""
    auth.login("patrol")
    assert client.get("/").status_code == 200
    assert auth.logout().status_code == 303
    assert client.get("/").status_code == 302


def test_next_parameter_cannot_redirect_off_site(client, auth, seed):
    """Is an off-site ?next= ignored after login?"""
    token = auth.csrf()
    response = client.post(
        "/login?next=//evil.example/x",
        data={"username": "patrol", "password": "patrol-demo", "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_logged_out_visitor_is_sent_to_login_then_back(client, auth, seed):
    """Does a protected page send a visitor to login and back to it afterwards?"""
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")


def test_passwords_are_hashed_with_argon2(app, seed):
    """Are passwords stored as argon2id hashes, never in clear?"""
    with app.app_context():
        user = db.session.get(User, seed.user_ids["patrol"])
        assert user.password_hash.startswith("$argon2id$")
        assert "patrol-demo" not in user.password_hash
        assert user.check_password("patrol-demo")


def test_session_cookie_flags(client, auth, seed):
    """Is the session cookie HttpOnly and SameSite=Lax?"""
    response = auth.login("patrol")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if "rounds_session" in h)
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_limit_is_kept_in_redis_when_configured(database_url, instance_dir, _migrated):
    """With REDIS_URL set, is the sixth failed try refused using Redis (shared by all workers)?"""
    import uuid

    import redis

    from tests.conftest import make_test_app

    prefix = f"rounds-test-{uuid.uuid4().hex}"
    url = "redis://127.0.0.1:6379/0"
    app = make_test_app(
        database_url, instance_dir, RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix
    )
    client = app.test_client()
    from tests.conftest import AuthActions

    auth = AuthActions(client)
    try:
        for _ in range(5):
            assert auth.login("nobody", "wrong-password").status_code == 401
        assert auth.login("nobody", "wrong-password").status_code == 429
        assert any(redis.Redis.from_url(url).scan_iter(f"*{prefix}*"))
    finally:
        r = redis.Redis.from_url(url)
        for key in r.scan_iter(f"*{prefix}*"):
            r.delete(key)
