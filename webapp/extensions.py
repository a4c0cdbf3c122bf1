"""The Flask extensions, created unbound and initialised in create_app."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import Flask, g, has_request_context, request
from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from webapp import compression


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints alike."""

    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = compression.MaskedCSRFProtect()  # takes masked tokens (webapp/compression.py)
babel = Babel()
htmx = HTMX()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def _sqlite_pragmas(dbapi_connection, _record):
    # pysqlite's own transaction handling breaks SAVEPOINT nesting (SQLAlchemy's pysqlite
    # notes): turn it off and emit BEGIN ourselves from the "begin" event below.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


# Requests that only read (HTTP's safe methods).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITES = "rounds.writes"  # flask.g: this read request writes from here on
REFUSED = "rounds.refused"  # flask.g: SQLite refused a read request's write (see _refused)
DEFERRED = "rounds.deferred"  # connection.info: its transaction began as a read


def reading() -> bool:
    """Whether the transaction beginning now is a read: one of a GET (or HEAD) request that has
    not said it writes. Jobs, commands and every other request write."""
    return has_request_context() and request.method in SAFE_METHODS and not g.get(WRITES)


def writes(session=None) -> None:
    """Before a read request's hook writes (a device's last sight, a revoked session ended): end
    its read and let every later transaction of the request take the write lock up front.
    Nothing may be pending (the read's commit writes nothing). A view need not: a read
    request's view whose write SQLite refuses is run again as a writer (``_read_again``)."""
    session = session or db.session()  # the proxy has no in_transaction
    if session.in_transaction():
        session.commit()
    if has_request_context():
        g.setdefault(WRITES, True)


def _sqlite_begin(conn):
    # A transaction that may write takes the write lock up front (IMMEDIATE), so two writers
    # queue on busy_timeout instead of one failing with "database is locked" when it upgrades
    # its lock: the sync push's exactly-once rests on it (docs/sync-protocol.md). A read
    # request's begins deferred and reads beside a writer (WAL): IMMEDIATE made every page
    # wait for the push in progress, and fail after busy_timeout.
    deferred = reading()
    conn.info[DEFERRED] = deferred
    conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def _sqlite_end(conn):
    conn.info[DEFERRED] = False


def _refused(context) -> None:
    # A read transaction's lock cannot wait to become the write lock: SQLite refuses it at once
    # ("database is locked") while another connection writes, or once one has written since
    # it began reading. GET views that write as they read (a window fixed as it opens, a
    # pull's bookkeeping) are run again as writers, which wait their turn.
    connection = context.connection
    if (
        connection is not None
        and connection.info.get(DEFERRED)
        and has_request_context()
        and "locked" in str(context.original_exception)
    ):
        g.setdefault(REFUSED, True)


def configure_engine(engine: sa.Engine) -> None:
    """Apply per-dialect connection settings (the SQLite savepoint recipe, reads deferred)."""
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
        sa.event.listen(engine, "commit", _sqlite_end)
        sa.event.listen(engine, "rollback", _sqlite_end)
        sa.event.listen(engine, "handle_error", _refused)


def _read_again(app: Flask) -> None:
    """Run a read request's view once more, as a writer, when SQLite refused it a write (GET is
    safe to repeat: what it writes as it reads is written once either way)."""
    dispatch = app.dispatch_request

    @functools.wraps(dispatch)
    def dispatch_request():
        try:
            return dispatch()
        except Exception:
            if not g.pop(REFUSED, False):
                raise
        db.session.rollback()
        g.setdefault(WRITES, True)
        return dispatch()

    app.dispatch_request = dispatch_request


def init_app(app: Flask) -> None:
    """Bind every extension to the app."""
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
        if db.engine.dialect.name == "sqlite":
            _read_again(app)
    migrate.init_app(app, db, directory=str(app.config["MIGRATIONS_DIR"]), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    compression.init_app(app)  # after CSRFProtect: templates get the masked token
    htmx.init_app(app)
    limiter.init_app(app)
    # Flask-Babel is bound by webapp.i18n.init_app: its selectors are i18n's.

    @app.after_request
    def _api_no_store(response):
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
