"""The restore drill: seed, back up, wipe, restore — the same rows and the photo still served."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests.conftest import _empty_all_tables
from tests.webapp.api.test_blobs import jpeg_with_gps, put, sha
from webapp.backup import archive
from webapp.extensions import db
from webapp.models import Estate


def _counts(app) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as conn:
        return archive.table_counts(conn)


def _wipe(app) -> None:
    """Every row deleted and the blob folder gone: the disaster the backup is for."""
    with app.app_context():
        _empty_all_tables()
        db.session.remove()
    shutil.rmtree(app.config["BLOB_DIR"])


def _photo_and_job_output(app, phone):
    """A photo the phone uploaded and a job's output file beside the photos."""
    data = jpeg_with_gps()
    assert put(phone, data).status_code == 201
    url = f"/api/blobs/{sha(data)}"
    served = phone.client.get(url, headers=phone.headers)
    assert served.status_code == 200
    report = app.config["BLOB_DIR"] + "/jobs/report-1.pdf"
    import pathlib

    pathlib.Path(report).parent.mkdir(parents=True)
    pathlib.Path(report).write_bytes(b"%PDF-1.7 a report a job wrote")
    return url, served.get_data()


def test_restore_drill(app, phone, seed, tmp_path):
    """After a backup, a wipe and a restore, are the counts of every table the same, the
    photo served again byte for byte, and the job output back?"""
    url, photo = _photo_and_job_output(app, phone)
    before = _counts(app)
    assert before["estate"] == 2 and before["photo_blob"] == 1 and before["unit"] > 0

    runner = app.test_cli_runner()
    done = runner.invoke(args=["backup", str(tmp_path / "backup")])
    assert done.exit_code == 0, done.output
    assert "Backed up" in done.output

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["tables"] == before
    assert manifest["blobs"]["count"] == 2
    assert "jobs/report-1.pdf" in manifest["blobs"]["files"]

    _wipe(app)
    assert _counts(app)["estate"] == 0
    assert phone.client.get(url, headers=phone.headers).status_code == 401  # no device now

    done = runner.invoke(args=["restore", str(tmp_path / "backup")])
    assert done.exit_code == 0, done.output
    assert "every count matches the manifest" in done.output
    assert _counts(app) == before
    again = phone.client.get(url, headers=phone.headers)
    assert again.status_code == 200 and again.get_data() == photo
    job_output = tmp_path / "blobs" / "jobs" / "report-1.pdf"
    assert job_output.read_bytes() == b"%PDF-1.7 a report a job wrote"


def test_restore_refuses_a_database_with_data_unless_forced(app, phone, seed, tmp_path):
    """Is a restore over a database that holds data refused (nothing touched), and done
    with --force, replacing what was written after the backup?"""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "b")]).exit_code == 0
    before = _counts(app)
    with app.app_context():
        db.session.execute(sa.text("UPDATE estate SET name = name || ' (changed)'"))
        db.session.commit()

    refused = runner.invoke(args=["restore", str(tmp_path / "b")])
    assert refused.exit_code == 1
    assert "already holds data" in refused.output and "--force" in refused.output
    with app.app_context():
        names = set(db.session.scalars(sa.text("SELECT name FROM estate")))
    assert all(name.endswith(" (changed)") for name in names)

    forced = runner.invoke(args=["restore", "--force", str(tmp_path / "b")])
    assert forced.exit_code == 0, forced.output
    assert _counts(app) == before
    with app.app_context():
        names = set(db.session.scalars(sa.text("SELECT name FROM estate")))
    assert not any(name.endswith(" (changed)") for name in names)


def test_a_damaged_backup_is_refused_before_anything_is_touched(app, phone, seed, tmp_path):
    """Does a blob whose bytes changed (or a missing manifest) stop the restore before the
    database is replaced?"""
    _photo_and_job_output(app, phone)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "b")]).exit_code == 0
    _wipe(app)
    damaged = tmp_path / "b" / "blobs" / "jobs" / "report-1.pdf"
    damaged.write_bytes(b"%PDF-1.7 a report somebody edited")
    done = runner.invoke(args=["restore", str(tmp_path / "b")])
    assert done.exit_code == 1 and "does not match its checksum" in done.output
    assert _counts(app)["estate"] == 0  # nothing restored

    (tmp_path / "b" / "manifest.json").unlink()
    done = runner.invoke(args=["restore", str(tmp_path / "b")])
    assert done.exit_code == 1 and "not a complete backup" in done.output


def test_backup_wants_a_new_folder_and_restore_the_same_kind_of_database(app, seed, tmp_path):
    """Is a backup into a folder that holds files refused, and a backup of the other kind of
    database refused by restore?"""
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    runner = app.test_cli_runner()
    done = runner.invoke(args=["backup", str(tmp_path / "full")])
    assert done.exit_code == 1 and "not an empty folder" in done.output

    assert runner.invoke(args=["backup", str(tmp_path / "b")]).exit_code == 0
    manifest_path = tmp_path / "b" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    other = "postgresql" if manifest["database"]["dialect"] == "sqlite" else "sqlite"
    manifest["database"]["dialect"] = other
    manifest_path.write_text(json.dumps(manifest))
    done = runner.invoke(args=["restore", "--force", str(tmp_path / "b")])
    assert done.exit_code == 1 and f"backup is of a {other} database" in done.output


def test_the_postgres_password_never_reaches_the_command_line():
    """Is the password handed to pg_dump/pg_restore in PGPASSWORD, not in the URL argument?"""
    url = sa.make_url("postgresql+psycopg://rounds:s3cret@db.example:5433/rounds?sslmode=require")
    plain, env = archive._libpq(url)
    assert "s3cret" not in plain
    assert plain == "postgresql://rounds@db.example:5433/rounds?sslmode=require"
    assert env["PGPASSWORD"] == "s3cret"


def test_a_postgres_backup_is_one_snapshot_while_others_write(app, seed, tmp_path, monkeypatch):
    """On PostgreSQL, does a row committed while pg_dump runs stay out of both the dump and
    the manifest's counts (one exported snapshot), so the restore still matches them?"""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's online backup copies one state by itself (no pg_dump)")
    real_run = archive._run

    def write_then_dump(command, env):
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(
                sa.insert(Estate).values(
                    name="written during the backup",
                    timezone="Asia/Taipei",
                    active=True,
                    created_at=datetime.now(UTC),
                )
            )
        real_run(command, env)

    monkeypatch.setattr(archive, "_run", write_then_dump)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(tmp_path / "b")]).exit_code == 0
    monkeypatch.setattr(archive, "_run", real_run)
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["tables"]["estate"] == 2
    assert _counts(app)["estate"] == 3  # the write did happen, after the snapshot

    done = runner.invoke(args=["restore", "--force", str(tmp_path / "b")])
    assert done.exit_code == 0, done.output
    assert _counts(app)["estate"] == 2
