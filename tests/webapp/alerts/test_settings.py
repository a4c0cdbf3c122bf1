"""The email channel's settings: read from the environment, refused when they cannot work."""

from __future__ import annotations

import pytest

from webapp.alerts import channels, mail  # noqa: F401 - registers the email channel
from webapp.config import ConfigError, from_env


def _env(tmp_path, **values) -> dict:
    return from_env({"SECRET_KEY": "x" * 40, **values}, instance=tmp_path)


def test_no_smtp_host_means_no_email_channel(tmp_path):
    """Unset SMTP_HOST: is email not among the ready channels, and the bell always is?"""
    config = _env(tmp_path)
    names = [c.name for c in channels.ready(config)]
    assert config["SMTP_HOST"] is None and "email" not in names and "bell" in names


def test_smtp_settings_are_read(tmp_path):
    config = _env(
        tmp_path, SMTP_HOST="mail.example.test", SMTP_PORT="2525", SMTP_FROM="r@example.test",
        SMTP_USER="rounds", SMTP_PASSWORD="secret", SMTP_STARTTLS="false",
    )  # fmt: skip
    assert (config["SMTP_PORT"], config["SMTP_STARTTLS"], config["SMTP_USER"]) == (
        2525,
        False,
        "rounds",
    )
    assert "email" in [c.name for c in channels.ready(config)]


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ({"SMTP_HOST": "h"}, "SMTP_FROM"),
        ({"SMTP_HOST": "h", "SMTP_FROM": "not-an-address"}, "SMTP_FROM"),
        ({"SMTP_HOST": "h", "SMTP_FROM": "a@b.c", "SMTP_USER": "u"}, "SMTP_PASSWORD"),
        ({"SMTP_PORT": "70000"}, "SMTP_PORT"),
        ({"SMTP_PORT": "smtp"}, "SMTP_PORT"),
        ({"SMTP_STARTTLS": "maybe"}, "SMTP_STARTTLS"),
        ({"ALERTS_UNSYNCED_HOURS": "0"}, "ALERTS_UNSYNCED_HOURS"),
    ],
)
def test_bad_smtp_settings_are_refused_at_start(tmp_path, values, says):
    """Does a setting that cannot work stop the app (and the worker) at start, naming it?"""
    with pytest.raises(ConfigError, match=says):
        _env(tmp_path, **values)
