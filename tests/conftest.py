"""Shared fixtures: a fresh database per test session (SQLite or PostgreSQL), an app per test."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from flask_migrate import upgrade

import webapp.models.accounts as accounts
from tests import push_service
from tests.multi.cluster import S3_KEYS, StartError, start_moto, stop
from webapp import create_app
from webapp.demo import DemoOptions, build_demo
from webapp.extensions import db

# The same argon2id code path with cheap parameters: hashing is not what the suite tests.
accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
accounts._DUMMY_HASH = accounts._hasher.hash("not-a-password")

CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def _server_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgres") else None


def _pg(url: str) -> sa.Engine:
    url = url.replace("postgresql://", "postgresql+psycopg://", 1) if "+psycopg" not in url else url
    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database of our own for this test session; PostgreSQL when DATABASE_URL names one."""
    server = _server_url()
    if server is None:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    name = f"rounds_test_{uuid.uuid4().hex[:12]}"
    admin = _pg(server)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.make_url(admin.url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory):
    """moto's S3 in server mode on a loopback port (tests/multi/cluster.py), for this session."""
    try:
        server = start_moto(tmp_path_factory.mktemp("moto"))
    except StartError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"moto's S3 server did not start (CI installs it): {exc}")
        pytest.skip(f"no moto S3 server: {exc}")
    yield server
    stop(server.process)


@pytest.fixture
def s3_env(moto_s3, monkeypatch):
    """The settings of an app keeping its blobs in moto's bucket, under a prefix of its own."""
    for name, value in S3_KEYS.items():
        monkeypatch.setenv(name, value)
    env = {k: v for k, v in moto_s3.env.items() if k not in S3_KEYS}
    return {**env, "S3_ENDPOINT_URL": moto_s3.endpoint, "S3_PREFIX": uuid.uuid4().hex[:12]}


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("instance")


_made_apps: list = []


@pytest.fixture(autouse=True)
def _dispose_made_apps():
    """Close the pooled connections of every app a test made, so none is left open."""
    yield
    while _made_apps:
        made = _made_apps.pop()
        with made.app_context():
            db.session.remove()
            db.engine.dispose()
        if "jobs" in made.extensions:
            made.extensions["jobs"].close()  # the job queue's connection, if one was opened
    close_responses()


_responses: list = []


def close_responses() -> None:
    """Close the test's responses, as a server does after sending: a streamed file or object,
    and the database transaction a streamed export reads in, are let go."""
    while _responses:
        _responses.pop().close()


class WireClient(FlaskClient):
    """The test client, refusing a response a real server could not send.

    Werkzeug's test client hands headers over as Python strings, so a header that is not
    latin-1 (a Chinese file name in Content-Disposition) passes here and breaks every real
    server at the first byte; nor a Content-Type naming its charset twice (a mimetype that
    carried one, and the response added its own). Every request of every test checks it.
    Like a server, it closes every response (at the test's end: a test may still read it), so
    a photo streamed from its file leaves no handle open."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        _responses.append(response)
        for name, value in response.headers.items():
            try:
                f"{name}: {value}".encode("latin-1")
            except UnicodeEncodeError:
                pytest.fail(f"header {name!r} is not latin-1, no server can send it: {value!r}")
        content_type = response.headers.get("Content-Type", "")
        if content_type.lower().count("charset=") > 1:
            pytest.fail(f"Content-Type names its charset twice: {content_type!r}")
        return response


def make_test_app(database_url, instance_dir, **overrides):
    """An app on the session's database with test settings (engine disposed after the test)."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(instance_dir),
        "BLOB_DIR": str(instance_dir / "blobs"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
        "DEMO_MODE": True,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        # Jobs: the instance's SQLite queue, a queue of its own per app (tests run its jobs
        # with webapp.jobs.engine.get(app).work()).
        "JOBS_QUEUE_URL": f"sqlite:///{instance_dir / 'jobs.sqlite3'}",
        "JOBS_QUEUE_NAME": f"test-{uuid.uuid4().hex[:12]}",
    }
    config.update(overrides)
    made = create_app(config)
    made.test_client_class = WireClient
    _made_apps.append(made)
    return made


@pytest.fixture(scope="session")
def _migrated(database_url, instance_dir):
    """Run the real migrations once, so every test runs on the migrated schema."""
    app = make_test_app(database_url, instance_dir)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return True


def _empty_all_tables():
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    db.session.commit()


def empty_app(app) -> None:
    """After the tests of `app`: its database emptied and its connections closed (the
    responses first: an export still streaming holds its read, and SQLite's lock with it)."""
    close_responses()
    with app.app_context():
        db.session.rollback()
        _empty_all_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(_migrated, database_url, instance_dir):
    """A fresh app on an empty, migrated database."""
    app = make_test_app(database_url, instance_dir)
    # No app context stays pushed while the test runs: each request must get its own
    # (a shared one would carry g, the logged-in user and the session across requests).
    yield app
    empty_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class Seed:
    """The small demo the tests run on, by id: two estates and the demo users."""

    estate_ids: list[int]
    user_ids: dict[str, int]


# Building the demo costs seconds, and most tests want it: it is built once, copied table by
# table into a template (a schema on PostgreSQL, an attached file on SQLite), and copied back
# for each test in milliseconds. Rebuilt when older than this, so its "now" stays near the
# test's (windows, due dates and 30-day cut-offs are judged against the wall clock).
SEED_MAX_AGE = 300.0
_seed_cache: dict = {}


def _template_tables() -> list[sa.Table]:
    return list(db.metadata.sorted_tables)


def _raw(dbapi, sql: str) -> None:
    cursor = dbapi.cursor()
    cursor.execute(sql)
    cursor.close()


def _snapshot_seed(database_url: str) -> None:
    """Copy every table's rows into the template (replacing an older one)."""
    dbapi = db.engine.raw_connection()
    try:
        if db.engine.dialect.name == "postgresql":
            _raw(dbapi, "DROP SCHEMA IF EXISTS seed_tpl CASCADE")
            _raw(dbapi, "CREATE SCHEMA seed_tpl")
            for t in _template_tables():
                _raw(dbapi, f'CREATE TABLE seed_tpl."{t.name}" AS TABLE public."{t.name}"')
            dbapi.commit()
        else:
            path = sa.make_url(database_url).database + ".seed"
            if os.path.exists(path):
                os.remove(path)
            _raw(dbapi, f"ATTACH DATABASE '{path}' AS seed_tpl")
            try:
                _raw(dbapi, "BEGIN IMMEDIATE")
                for t in _template_tables():
                    _raw(
                        dbapi, f'CREATE TABLE seed_tpl."{t.name}" AS SELECT * FROM main."{t.name}"'
                    )
                _raw(dbapi, "COMMIT")
            finally:
                _raw(dbapi, "DETACH DATABASE seed_tpl")
    finally:
        dbapi.close()


def _restore_seed(database_url: str) -> None:
    """Copy the template's rows back into the (empty) tables, ids and all."""
    dbapi = db.engine.raw_connection()
    try:
        if db.engine.dialect.name == "postgresql":
            for t in _template_tables():
                _raw(dbapi, f'INSERT INTO public."{t.name}" SELECT * FROM seed_tpl."{t.name}"')
            for t in _template_tables():
                pk = list(t.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, sa.Integer) and pk[0].autoincrement:
                    col = pk[0].name
                    _raw(
                        dbapi,
                        f"SELECT setval(pg_get_serial_sequence('public.\"{t.name}\"', '{col}'), "
                        f'max("{col}")) FROM public."{t.name}" HAVING max("{col}") IS NOT NULL',
                    )
            dbapi.commit()
        else:
            path = sa.make_url(database_url).database + ".seed"
            _raw(dbapi, f"ATTACH DATABASE '{path}' AS seed_tpl")
            try:
                _raw(dbapi, "BEGIN IMMEDIATE")
                for t in _template_tables():
                    _raw(dbapi, f'INSERT INTO main."{t.name}" SELECT * FROM seed_tpl."{t.name}"')
                _raw(dbapi, "COMMIT")
            finally:
                _raw(dbapi, "DETACH DATABASE seed_tpl")
    finally:
        dbapi.close()


@pytest.fixture
def seed(app, database_url):
    """Two small demo estates with the demo users (webapp.demo.DEMO_USERS)."""
    import time

    with app.app_context():
        cached = _seed_cache.get(database_url)
        if cached is not None and time.monotonic() - cached[0] < SEED_MAX_AGE:
            db.session.remove()
            _restore_seed(database_url)
            made = cached[1]
            return Seed(list(made.estate_ids), dict(made.user_ids))
        result = build_demo(db.session, DemoOptions(estates=2, units_per_estate=24))
        db.session.commit()
        made = Seed(
            estate_ids=[e.id for e in result.estates],
            user_ids={u.username: u.id for u in result.users},
        )
        db.session.remove()  # reading the ids began a transaction (BEGIN IMMEDIATE on SQLite)
        _snapshot_seed(database_url)
        _seed_cache[database_url] = (time.monotonic(), made)
        return made


def url_sample(rule, arg: str, preferred):
    """A value for a rule's URL argument: ``preferred``, unless the rule names the values it
    takes (``<any(pdf, xlsx):fmt>``) and that is not one of them — then its first."""
    items = getattr(rule._converters.get(arg), "items", None)
    if items and preferred not in items:
        return sorted(items)[0]
    return preferred


def csrf_token_from(html: str) -> str:
    """Pull the CSRF token out of a rendered page."""
    match = CSRF_RE.search(html)
    assert match, "page has no csrf_token field"
    return match.group(1) or match.group(2)


class AuthActions:
    """Log in and out through the real form, CSRF token included."""

    PASSWORDS = {
        "patrol": "patrol-demo",
        "supervisor": "supervisor-demo",
        "engineer": "engineer-demo",
        "desk": "desk-demo",
        "admin": "admin-demo",
        "patrol2": "patrol2-demo",
        "hq": "hq-demo",
        "regional": "regional-demo",
        "supervisor2": "supervisor2-demo",
        "admin2": "admin2-demo",
    }

    def __init__(self, client):
        self._client = client

    def csrf(self, path: str = "/login") -> str:
        return csrf_token_from(self._client.get(path).get_data(as_text=True))

    def login(self, username: str = "patrol", password: str | None = None):
        password = self.PASSWORDS.get(username, "") if password is None else password
        return self._client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": self.csrf()},
        )

    def logout(self):
        return self._client.post("/logout", data={"csrf_token": self.csrf("/")})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture(scope="module")
def push_recorder(tmp_path_factory):
    """A push service of the test's own (tests/push_service.py) that records what it is sent."""
    running = push_service.start(tmp_path_factory.mktemp("push"))
    yield running
    running.close()
