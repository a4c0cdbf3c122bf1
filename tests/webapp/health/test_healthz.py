"""The health check that load balancers and monitors call."""

from tests.conftest import make_test_app


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
