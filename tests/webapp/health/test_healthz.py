"""The health check that load balancers and monitors call."""

import socket
import threading

import pytest
from flask import current_app
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import TooManyRequests

from tests.conftest import make_test_app
from webapp.health import checks
from webapp.health.checks import add_check


def test_healthz_reports_ok(client):
    """Does /healthz answer 200 with the database ok, without logging in?"""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    """With the database unreachable, does /healthz answer 503 in JSON rather than a 500?"""
    # A SQLite file in a directory that does not exist cannot be opened.
    bad = f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}"
    app = make_test_app(bad, tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "db": "error"}


def test_healthz_on_unreachable_postgres(tmp_path):
    """Does an unreachable PostgreSQL server also give 503 (no driver error leaks out)?"""
    app = make_test_app("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1", tmp_path)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


def test_healthz_checks_redis_when_configured(database_url, instance_dir, _migrated):
    """With REDIS_URL set to the running Redis, does /healthz check it and say so?"""
    app = make_test_app(database_url, instance_dir, REDIS_URL="redis://127.0.0.1:6379/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "db": "ok", "redis": "ok"}


def test_an_unreachable_redis_is_a_503_that_names_it_and_no_secret(
    database_url, instance_dir, _migrated
):
    """Does a Redis that refuses connections give 503 naming redis, with neither its password
    nor its address in the answer?"""
    url = "redis://:hunter2-secret@127.0.0.1:1/0"
    app = make_test_app(database_url, instance_dir, REDIS_URL=url)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "db": "ok", "redis": "error"}
    text = response.get_data(as_text=True)
    assert "hunter2" not in text and "127.0.0.1" not in text


def test_a_redis_that_never_answers_is_a_503_not_a_hang(database_url, instance_dir, _migrated):
    """Does a server that accepts the connection but never replies fail the check by its
    deadline (a dropped link, not a refusal), rather than hold the probe?"""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # connections complete in the backlog; nothing ever answers
        port = silent.getsockname()[1]
        app = make_test_app(database_url, instance_dir, REDIS_URL=f"redis://127.0.0.1:{port}/0")
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["redis"] in {"error", "timeout"}
    assert response.get_json()["db"] == "ok"


def test_an_area_adds_a_check_such_as_the_object_store(app, client):
    """Does a check an area registers (the object store's hook) run in the app's context,
    pass as ok, fail as a 503 naming it, and time out at its own deadline?"""
    seen = []

    def bucket_ok():
        seen.append(current_app.name)

    add_check(app, "objects", bucket_ok)
    assert client.get("/healthz").get_json() == {"status": "ok", "db": "ok", "objects": "ok"}
    assert seen == [app.name]

    def bucket_gone():
        raise OSError("https://key:secret@objects.example/bucket is gone")

    add_check(app, "objects", bucket_gone)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "db": "ok", "objects": "error"}
    assert "secret" not in response.get_data(as_text=True)

    release = threading.Event()
    add_check(app, "objects", lambda: release.wait(30), seconds=0.2)
    try:
        response = client.get("/healthz")
    finally:
        release.set()
    assert response.status_code == 503
    assert response.get_json()["objects"] == "timeout"


def test_healthz_asks_the_bucket_when_blobs_are_kept_in_one(
    database_url, instance_dir, _migrated, s3_env
):
    """With BLOB_STORE=s3, does /healthz report the bucket ("objects"), ok while it answers
    and a 503 naming it when the bucket is gone (credentials or name wrong)?"""
    app = make_test_app(database_url, instance_dir, **s3_env)
    body = app.test_client().get("/healthz").get_json()
    assert body == {"status": "ok", "db": "ok", "objects": "ok"}
    gone = make_test_app(database_url, instance_dir, **{**s3_env, "S3_BUCKET": "no-such-bucket"})
    response = gone.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["objects"] == "error"


# ---------------------------------------------------------------- every answer JSON


def _json_error(response, status: int) -> dict:
    """The answer as a monitor reads it: JSON, whatever went wrong, saying "error"."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert body["status"] == "error" and body["error"] and body["message"]
    return body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_a_method_healthz_does_not_answer_is_a_json_405(client, method):
    """Is a POST (or any method but GET and HEAD) a 405 in JSON, saying which methods are
    answered — not the HTML error page a browser gets?"""
    response = client.open("/healthz", method=method, headers={"Accept": "text/html"})
    body = _json_error(response, 405)
    assert body["error"] == "method_not_allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}


def test_a_fault_in_healthz_is_a_json_500(app, client, monkeypatch):
    """Is an exception no check expected (the pool shut down, a bug) a 500 in JSON, with the
    request id to quote and nothing of the exception's text?"""

    def broken(_app):
        raise RuntimeError("cannot schedule new futures after shutdown: secret-detail")

    monkeypatch.setattr(checks, "run", broken)
    response = client.get("/healthz", headers={"Accept": "text/html"})
    body = _json_error(response, 500)
    assert body["request_id"] and "secret-detail" not in response.get_data(as_text=True)


def test_a_database_lost_before_healthz_is_a_json_503(app, client, monkeypatch):
    """Is an OperationalError (the database gone under a hook or the view) a 503 in JSON, with
    its Retry-After?"""

    def lost(_app):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(checks, "run", lost)
    response = client.get("/healthz")
    _json_error(response, 503)
    assert response.headers["Retry-After"]


def test_healthz_refusing_too_many_requests_is_a_json_429(app, client, monkeypatch):
    """Is a 429 (a rate limit in front of the checks) JSON, with its Retry-After?"""

    def limited(_app):
        raise TooManyRequests(retry_after=30)

    monkeypatch.setattr(checks, "run", limited)
    response = client.get("/healthz")
    _json_error(response, 429)
    assert response.headers["Retry-After"] == "30"


def test_bad_input_to_healthz_is_a_json_400(client):
    """Is input the app refuses at its edge (a NUL in the query) a 400 in JSON here too?"""
    _json_error(client.get("/healthz?x=%00"), 400)
