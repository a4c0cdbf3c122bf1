"""The Flask extensions, created unbound and initialised in create_app."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, request
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


def _sqlite_begin(conn):
    # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
    # instead of one failing with "database is locked" when it upgrades its lock.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def configure_engine(engine: sa.Engine) -> None:
    """Apply per-dialect connection settings (the SQLite savepoint recipe)."""
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)


def init_app(app: Flask) -> None:
    """Bind every extension to the app."""
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
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
