"""Migration 0021: a failed acceptance's notice loses the sentence the merge wrote in its note
(both languages whoever read it); its acceptance says why. A downgrade writes it back."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from tests.conftest import make_test_app
from tests.webapp.desk.test_migration import scratch_url  # noqa: F401 (fixture)
from webapp.extensions import db

AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
SENTENCE = (
    "竣工驗收不合格 Failed completion acceptance: 廚衛防水層完好，閉水試驗合格 "
    "Kitchen/bathroom waterproofing intact, flood test passed"
)


def _insert(conn, table_name: str, **values) -> None:
    """A row of ``name`` with ``values``, every other required column filled by its type."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
    for column in table.columns:
        if column.name in values or column.nullable or column.server_default is not None:
            continue
        if column.primary_key and isinstance(column.type, sa.Integer):
            continue
        if isinstance(column.type, sa.JSON):
            values[column.name] = []
            continue
        kind = column.type.python_type
        values[column.name] = {bool: False, int: 0, datetime: AT, date: AT.date()}.get(kind, "")
    conn.execute(table.insert().values(**values))


def test_the_generated_sentence_goes_and_comes_back(scratch_url, instance_dir):  # noqa: F811
    """Is the merge's sentence on a failed acceptance's notice emptied, a note a person wrote
    (on a patrol's notice, or an acceptance's notice whose note was edited) kept as written,
    and the sentence written back from the acceptance's answers on a downgrade?"""
    app = make_test_app(scratch_url, instance_dir)
    with app.app_context():
        upgrade(revision="0020")
        with db.engine.begin() as conn:
            _insert(conn, "estate", id=1, name="E", timezone="Asia/Taipei", active=True)
            _insert(conn, "user", id=1, username="p", role="patroller", active=True)
            _insert(conn, "building", id=1, estate_id=1, name="1棟")
            _insert(conn, "unit", id=1, estate_id=1, building_id=1, room="101", status="occupied")
            answers = {"waterproof": "no", "debris": "yes"}
            for n in (1, 2):
                _insert(conn, "acceptance", id=f"a{n}", estate_id=1, unit_id=1, user_id=1,
                        op_id=f"oa{n}", checklist_version=1, answers=answers,
                        result="failed")  # fmt: skip
            notes = {"n1": ("a1", SENTENCE), "n2": ("a2", "衛生間滲漏"), "n3": (None, "巡查所見")}
            for seq, (notice_id, (acceptance_id, note)) in enumerate(notes.items(), 1):
                _insert(conn, "rectification_notice", id=notice_id, estate_id=1, unit_id=1,
                        user_id=1, op_id=f"o{notice_id}", year=2026, seq=seq, note=note,
                        acceptance_id=acceptance_id, status="issued")  # fmt: skip

        def notes_now() -> dict[str, str]:
            with db.engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT id, note FROM rectification_notice"))
                return dict(rows.all())

        upgrade(revision="0021")
        assert notes_now() == {"n1": "", "n2": "衛生間滲漏", "n3": "巡查所見"}
        downgrade(revision="0020")
        assert notes_now() == {"n1": SENTENCE, "n2": "衛生間滲漏", "n3": "巡查所見"}
        db.engine.dispose()
