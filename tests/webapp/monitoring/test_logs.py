"""Logs: JSON lines (or text for development), each with the request's id."""

from __future__ import annotations

import json
import logging

import pytest

from tests.conftest import make_test_app
from webapp.access import public
from webapp.config import ConfigError, from_env
from webapp.monitoring import logs


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def json_app(_migrated, database_url, instance_dir):
    made = make_test_app(database_url, instance_dir, LOG_FORMAT="json")

    @public
    def noisy():
        logging.getLogger("webapp.somewhere").warning("a thing happened", extra={"count": 3})
        return "ok"

    @public
    def boom():
        raise RuntimeError("it broke")

    made.add_url_rule("/noisy", "noisy", noisy)
    made.add_url_rule("/boom", "boom", boom)
    yield made
    logs.install("text", "INFO")  # the next app of the session logs as text again


def test_every_log_line_of_a_request_carries_its_id(json_app, capsys):
    """Are a view's own log line and the request line JSON, with the request's id?"""
    capsys.readouterr()
    response = json_app.test_client().get("/noisy", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 200
    lines = _json_lines(capsys.readouterr().err)
    mine = [line for line in lines if line.get("request_id") == "req-42"]
    said = next(line for line in mine if line["message"] == "a thing happened")
    assert said["level"] == "WARNING" and said["logger"] == "webapp.somewhere"
    assert said["count"] == 3 and "time" in said
    access = next(line for line in mine if line["logger"] == "rounds.access")
    assert access["method"] == "GET" and access["path"] == "/noisy"
    assert access["route"] == "/noisy" and access["status"] == 200
    assert access["duration_ms"] >= 0
    # Every line is one JSON object: nothing else was written.
    assert all(line.startswith("{") for line in capsys.readouterr().err.splitlines())


def test_a_crash_is_one_json_line_with_the_traceback_and_the_id(json_app, capsys):
    """Does an unhandled exception log one JSON line holding the traceback and the request id
    (the same id the 500 page shows)?"""
    capsys.readouterr()
    response = json_app.test_client().get("/boom")
    rid = response.headers["X-Request-ID"]
    assert response.status_code == 500 and rid in response.get_data(as_text=True)
    err = capsys.readouterr().err
    lines = _json_lines(err)
    crash = next(line for line in lines if line["message"] == "unhandled error")
    assert crash["request_id"] == rid and crash["level"] == "ERROR"
    assert "RuntimeError: it broke" in crash["exc_info"]
    assert len(err.splitlines()) == len(lines)  # the traceback is inside the JSON line


def test_text_logs_for_development(client, capsys):
    """Is the default (development) format a readable line with the id in brackets?"""
    capsys.readouterr()
    client.get("/healthz", headers={"X-Request-ID": "dev-1"})
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "rounds.access" in line)
    assert "INFO rounds.access [dev-1] GET /healthz 200" in line
    assert not line.startswith("{")


def test_one_handler_however_many_apps(_migrated, database_url, instance_dir):
    """Does making a second app replace the log handler rather than add another (no line
    written twice)?"""
    make_test_app(database_url, instance_dir)
    make_test_app(database_url, instance_dir)
    ours = [h for h in logging.getLogger().handlers if h.name == logs.HANDLER_NAME]
    assert len(ours) == 1
    assert not make_test_app(database_url, instance_dir).logger.handlers


def test_log_settings_are_checked():
    """Is production JSON by default, development text, and a wrong value refused?"""
    base = {"SECRET_KEY": "x" * 40}
    assert from_env(base | {"ROUNDS_ENV": "production"})["LOG_FORMAT"] == "json"
    assert from_env(base)["LOG_FORMAT"] == "text"
    assert from_env(base | {"LOG_FORMAT": "JSON", "LOG_LEVEL": "warning"})["LOG_LEVEL"] == (
        "WARNING"
    )
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        from_env(base | {"LOG_FORMAT": "xml"})
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        from_env(base | {"LOG_LEVEL": "loud"})


def test_printing_a_form_logs_nothing_of_what_it_says(json_app, capsys):
    """fontTools logs each subset at INFO with the glyph names it kept (uni7532 …): a record of
    what a notice or a report says, in the server's logs. At the app's INFO level, does printing
    a form write no fontTools line?"""
    from tests.webapp.paper.test_faces import _form

    capsys.readouterr()
    with json_app.app_context():
        assert _form(("甲乙丙丁戊", "Alpha")).output_bytes().startswith(b"%PDF")
    lines = _json_lines(capsys.readouterr().err)
    assert not [line for line in lines if line.get("logger", "").startswith("fontTools")]
    # The library's warnings still come through.
    assert logging.getLogger("fontTools").getEffectiveLevel() == logging.WARNING


def test_a_quieted_library_is_never_louder_than_the_app():
    """With LOG_LEVEL=ERROR, are fontTools' warnings held back like everyone else's (its own
    level at WARNING would let them past the root's ERROR)?"""
    try:
        logs.install("text", "ERROR")
        for name in logs.QUIET_BELOW_WARNING:
            assert logging.getLogger(name).getEffectiveLevel() == logging.ERROR, name
    finally:
        logs.install("text", "INFO")  # as the other apps of the session log
