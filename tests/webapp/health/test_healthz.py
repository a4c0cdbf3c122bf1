"""The health check that load balancers and monitors call."""

import socket
import threading

from flask import current_app

from tests.conftest import make_test_app
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
