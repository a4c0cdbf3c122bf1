"""SQLite's locks and the requests that read: a GET reads beside a writer (its transaction
begins deferred, not BEGIN IMMEDIATE); one that must write as it reads takes its turn as a
writer; everything else writes as before (docs/architecture.md, "SQLite and PostgreSQL")."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.sync.conftest import issue_device
from webapp.access import public
from webapp.extensions import db
from webapp.models import Device, Estate
from webapp.models.types import utcnow


@pytest.fixture
def engine(app):
    with app.app_context():
        found = db.engine
    if found.dialect.name != "sqlite":
        pytest.skip("SQLite's locks: PostgreSQL's reads never wait for a writer")
    return found


@contextmanager
def begun(engine):
    """The BEGIN statements run inside the block, in order."""
    found: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if statement.upper().startswith("BEGIN"):
            found.append(statement.upper())

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        yield found
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)


def test_a_read_request_refused_its_write_is_run_again_as_a_writer(app, client, seed, engine):
    """A GET reads, another connection writes meanwhile (a push), then the GET writes (as a
    grid fixes a window that opened): SQLite refuses the read's lock becoming the write lock.
    Is the view run again, this time taking the write lock first, and answered 200?"""
    attempts: list[int] = []
    estate_id = seed.estate_ids[0]

    @app.get("/_test/read-then-write")
    @public
    def read_then_write():
        attempts.append(len(attempts) + 1)
        db.session.scalar(sa.select(sa.func.count()).select_from(Estate))  # the read
        if len(attempts) == 1:
            with engine.connect() as other, other.begin():
                other.execute(sa.update(Estate).values(created_at=utcnow()))
        db.session.execute(sa.update(Estate).where(Estate.id == estate_id).values(active=True))
        db.session.commit()
        return str(len(attempts))

    with begun(engine) as begins:
        response = client.get("/_test/read-then-write")
    assert response.status_code == 200 and response.get_data(as_text=True) == "2"
    # The first try, the other connection's write (its first statement a write: it waits its
    # turn even when begun deferred), the second try with the write lock first.
    assert begins == ["BEGIN", "BEGIN", "BEGIN IMMEDIATE"], begins


def test_a_phones_call_slides_its_token_in_a_write_of_its_own(app, client, seed, engine):
    """A phone's GET a minute after its last: is the device read as a read, and its last sight
    written in a transaction that takes the write lock first (a read's cannot become it)?"""
    device_id, token = issue_device(app, "patrol")
    with app.app_context():
        db.session.get(Device, device_id).last_seen_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
    with begun(engine) as begins:
        response = client.get("/api/openapi.json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert begins[:2] == ["BEGIN", "BEGIN IMMEDIATE"], begins
    with app.app_context():
        assert utcnow() - db.session.get(Device, device_id).last_seen_at < timedelta(minutes=1)
