"""deploy/*.service and *.timer: systemd's own check of the units, and what they must say."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.deploy.conftest import DEPLOY, ROOT, gunicorn_binary, missing

UNITS = ["rounds.service", "rounds-worker.service", "rounds-backup.service", "rounds-backup.timer"]


def _lines(name: str) -> list[tuple[str, str, str]]:
    """(section, key, value) of every setting of a unit file."""
    section, found = "", []
    for raw in (DEPLOY / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if re.fullmatch(r"\[[A-Za-z]+\]", line):
            section = line[1:-1]
            continue
        key, equals, value = line.partition("=")
        assert equals and re.fullmatch(r"[A-Za-z]+", key), f"{name}: not a setting: {raw!r}"
        found.append((section, key, value))
    return found


def test_the_units_say_what_the_recipe_needs():
    """Does the app's unit run gunicorn with the repository's config, from rounds.env, in
    production, with the metrics folder in its runtime directory, restarting on failure; does
    the job worker's unit run `flask jobs worker` from the same file, stopping gracefully; and
    does the timer start the backup unit nightly?"""
    app = {(s, k): v for s, k, v in _lines("rounds.service")}
    start = app[("Service", "ExecStart")]
    assert start.endswith("gunicorn --config /srv/rounds/deploy/gunicorn.conf.py")
    assert (DEPLOY / "gunicorn.conf.py").is_file()
    assert app[("Service", "EnvironmentFile")] == "/etc/rounds/rounds.env"
    assert app[("Service", "Type")] == "notify"  # gunicorn tells systemd when it is ready
    assert app[("Service", "Restart")] == "on-failure"
    assert app[("Service", "RuntimeDirectory")] == "rounds"
    environment = [v for s, k, v in _lines("rounds.service") if k == "Environment"]
    assert "PROMETHEUS_MULTIPROC_DIR=/run/rounds/metrics" in environment
    assert "ROUNDS_ENV=production" in environment
    worker = {(s, k): v for s, k, v in _lines("rounds-worker.service")}
    assert worker[("Service", "ExecStart")].endswith("flask --app webapp jobs worker")
    assert worker[("Service", "EnvironmentFile")] == "/etc/rounds/rounds.env"
    assert worker[("Service", "KillSignal")] == "SIGINT"  # running jobs finish on stop
    backup = {(s, k): v for s, k, v in _lines("rounds-backup.service")}
    assert "flask --app webapp backup" in backup[("Service", "ExecStart")]
    timer = {(s, k): v for s, k, v in _lines("rounds-backup.timer")}
    assert timer[("Timer", "OnCalendar")] and timer[("Install", "WantedBy")] == "timers.target"


def test_systemd_accepts_the_units(tmp_path):
    """Does `systemd-analyze verify` find nothing to say about the units (no unknown key, no
    missing program), with their /srv/rounds paths pointed at this checkout?"""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        missing("systemd-analyze is not installed: only the settings were read")
    venv_bin = Path(gunicorn_binary()).parent
    env_file = tmp_path / "rounds.env"
    env_file.write_text("SECRET_KEY=x\n")
    for name in UNITS:
        text = (DEPLOY / name).read_text()
        text = text.replace("/srv/rounds/.venv/bin/", f"{venv_bin}/")
        text = text.replace("/srv/rounds", str(ROOT))
        text = text.replace("/etc/rounds/rounds.env", str(env_file))
        (tmp_path / name).write_text(text)
    done = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
