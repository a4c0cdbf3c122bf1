"""The database lost in the middle of a request: 503 (retry later), never 500."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from tests.sync.conftest import check_op, codes_of
from webapp.extensions import db


def _lost(*_args, **_kwargs):
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


def _lose_the_database(monkeypatch):
    """From here on the connection is dead: every statement fails, and so does the rollback
    (what _busy met: it called rollback() on the dead connection and answered 500)."""
    if db.engine.dialect.name == "postgresql":
        with contextlib.suppress(OperationalError):
            db.session.execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))
    monkeypatch.setattr(sa.orm.Session, "rollback", _lost)
    monkeypatch.setattr(sa.orm.Session, "execute", _lost)
    db.session.execute(sa.text("SELECT 1"))


def _estate(app) -> int:
    from webapp.models import Estate

    with app.app_context():
        return db.session.scalar(sa.select(Estate.id).order_by(Estate.id))


def test_a_push_that_loses_the_database_is_503(app, phone, monkeypatch):
    import sync.merge

    code = codes_of(app, _estate(app), "unit", 1)[0]
    real = sync.merge.push
    monkeypatch.setattr(sync.merge, "push", lambda *a, **k: _lose_the_database(monkeypatch))
    response = phone.push([check_op(code)])
    monkeypatch.undo()
    assert response.status_code == 503
    assert response.get_json()["error"] == "unavailable"
    assert response.headers["Retry-After"]
    assert sync.merge.push is real
    assert phone.push([check_op(code)]).status_code == 200  # the pool reconnects


def test_a_page_that_loses_the_database_is_503(app, client, auth, seed, monkeypatch):
    import webapp.review.views as views

    auth.login("supervisor")
    monkeypatch.setattr(views.queries, "page_of", lambda *a, **k: _lose_the_database(monkeypatch))
    response = client.get("/review/findings", headers={"X-Request-ID": "lost-db-1"})
    monkeypatch.undo()
    assert response.status_code == 503
    assert "lost-db-1" in response.get_data(as_text=True)  # the id to quote, page or not
    assert client.get("/review/findings").status_code == 200
