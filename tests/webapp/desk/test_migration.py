"""The key handover's log moves into the desk's (migration 0009): every row kept, the sentence
the old page stored about unknown codes turned back into the codes themselves."""

from __future__ import annotations

import importlib.util
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests.conftest import _pg, _server_url, make_test_app
from webapp.extensions import db

VERSIONS = Path(__file__).resolve().parents[3] / "migrations" / "versions"
MIGRATION = VERSIONS / "0009_key_handover_into_desk.py"


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0009", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("note", "kept", "codes"),
    [
        ("", "", []),
        ("all fine", "all fine", []),
        ("\nUnknown codes: AB12, zz-9", "", ["AB12", "zz-9"]),
        ("門少一把\n無法識別的代碼：X1, 門禁卡", "門少一把", ["X1", "門禁卡"]),
        ("Unknown codes are: none", "Unknown codes are: none", []),
    ],
)
def test_the_unknown_codes_line_becomes_the_codes(note, kept, codes):
    """Is the line the old page appended, in either language, read back as the codes (and only
    that line), the writer's note kept?"""
    assert _migration().split_note(note) == (kept, codes)


@pytest.fixture
def scratch_url(tmp_path):
    """An empty database of its own (the session's is at the newest revision already)."""
    server = _server_url()
    if server is None:
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"rounds_mig_{uuid.uuid4().hex[:12]}"
    admin = _pg(server)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield sa.make_url(admin.url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_key_handovers_move_into_the_desks_log_and_back(scratch_url, instance_dir):
    """Does a key_handover row become a desk_handover row (time, shifts, key lists, the note
    without the unknown-codes sentence, the codes as a list) with key_handover gone — and come
    back on a downgrade?"""
    app = make_test_app(scratch_url, instance_dir)
    at = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="0008")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO estate (id, name, timezone, active, created_at)"
                    " VALUES (1, 'E', 'Asia/Taipei', :t, :at)"
                ),
                {"t": True, "at": at},
            )
            conn.execute(
                sa.text(
                    'INSERT INTO "user" (id, username, display_name, password_hash, role, active,'
                    " created_at) VALUES (1, 'desk', '張美玲', 'x', 'frontdesk', :t, :at)"
                ),
                {"t": True, "at": at},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO key_handover (estate_id, outgoing_user_id, outgoing_name,"
                    " incoming_name, scanned, missing, unexpected, note, created_at) VALUES"
                    " (1, 1, '張美玲', '林淑芬', '[1, 2]', '[3]', '[2]', :note, :at)"
                ),
                {"note": "鑰匙櫃門鎖鬆了\n無法識別的代碼：AB12, 門禁卡", "at": at},
            )
        upgrade(revision="0009")
        with db.engine.connect() as conn:
            assert "key_handover" not in sa.inspect(conn).get_table_names()
            table = sa.Table("desk_handover", sa.MetaData(), autoload_with=conn)
            (row,) = conn.execute(sa.select(table)).mappings().all()
        assert (row["outgoing_name"], row["incoming_name"]) == ("張美玲", "林淑芬")
        assert (row["outgoing_user_id"], row["incoming_user_id"]) == (1, None)
        assert (row["scanned"], row["missing"], row["unexpected"]) == ([1, 2], [3], [2])
        assert row["unknown_codes"] == ["AB12", "門禁卡"]
        assert row["note"] == "鑰匙櫃門鎖鬆了"
        when = row["created_at"]
        assert (when if when.tzinfo else when.replace(tzinfo=UTC)) == at
        downgrade(revision="0008")
        with db.engine.connect() as conn:
            (back,) = conn.execute(sa.text("SELECT note, missing FROM key_handover")).all()
        assert back[0] == "鑰匙櫃門鎖鬆了\nUnknown codes: AB12, 門禁卡"
        db.engine.dispose()
