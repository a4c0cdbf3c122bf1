"""Codes: minting in bulk, reuse of active codes, retiring and replacing, reading typed codes."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa

from webapp.extensions import db
from webapp.labels import codes
from webapp.models import AuditEvent, LabelCode, Unit


@contextlib.contextmanager
def _selects():
    """The SELECT statements sent while the block runs."""
    seen: list[str] = []

    def listener(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)


def test_mint_many_makes_valid_unique_codes_with_one_query_per_estate(app, seed):
    """Does minting many codes cost one SELECT per estate, with valid, unique short codes?"""
    with app.app_context():
        units = db.session.scalars(sa.select(Unit).order_by(Unit.id)).all()
        db.session.execute(sa.delete(LabelCode))
        with _selects() as selects:
            minted = codes.mint_many(db.session, "unit", units)
        assert len(selects) == len({u.estate_id for u in units}) == 2
        db.session.commit()
        assert len(minted) == len(units) == 48  # 2 estates x 24
        for code in minted:
            assert len(code.code) == codes.CODE_LENGTH
            assert codes.short_code_valid(code.short_code)
        assert len({c.code for c in minted}) == len(minted)
        per_estate = {(c.estate_id, c.short_code) for c in minted}
        assert len(per_estate) == len(minted)


def test_ensure_codes_reuses_active_codes_and_mints_only_the_missing(app, seed):
    """Does ensure_codes keep existing active codes and mint just for items without one?"""
    with app.app_context():
        units = db.session.scalars(sa.select(Unit).order_by(Unit.id)).all()
        before = codes.active_codes(db.session, "unit", [u.id for u in units])
        assert len(before) == len(units)
        dropped = units[0]
        db.session.delete(before[dropped.id])
        db.session.commit()
        found = codes.ensure_codes(db.session, "unit", units)
        db.session.commit()
        assert {i: c.code for i, c in found.items() if i != dropped.id} == {
            i: c.code for i, c in before.items() if i != dropped.id
        }
        assert found[dropped.id].code != before[dropped.id].code
        total = db.session.scalar(sa.select(sa.func.count()).select_from(LabelCode))
        assert total == db.session.scalar(
            sa.select(sa.func.count()).select_from(LabelCode).where(LabelCode.active)
        )


def test_retire_and_replace_records_when_why_and_by_what(app, seed):
    """Does retiring keep the old code with time, reason and successor, and audit it?"""
    with app.app_context():
        old = db.session.scalars(sa.select(LabelCode).where(LabelCode.item_type == "unit")).first()
        new = codes.retire_and_replace(db.session, old, "label torn")
        db.session.commit()
        assert not old.active and old.retired_at is not None
        assert old.retired_reason == "label torn"
        assert old.replaced_by_id == new.id
        assert new.active and (new.item_type, new.item_id) == (old.item_type, old.item_id)
        assert codes.active_code(db.session, "unit", old.item_id).id == new.id
        assert codes.current_code(db.session, old).id == new.id
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "label.reprint"))
        assert event.after["code"] == new.code


def test_find_code_reads_case_insensitively_and_refuses_junk(app, seed):
    """Is a code found whatever its case or Crockford aliases, and junk found as nothing?"""
    with app.app_context():
        code = db.session.scalars(sa.select(LabelCode)).first()
        assert codes.find_code(db.session, code.code.lower()).id == code.id
        assert codes.find_code(db.session, "not a code!") is None
        assert codes.find_code(db.session, "Z" * 16) is None
        assert codes.find_code(db.session, "") is None


def test_minting_one_by_one_reads_the_estates_codes_once_per_transaction(app, seed):
    """Does mint() query the taken short codes once per estate and transaction, not per code?"""
    with app.app_context():
        units = db.session.scalars(sa.select(Unit).order_by(Unit.id)).all()
        db.session.execute(sa.delete(LabelCode))
        with _selects() as selects:
            for unit in units:
                codes.mint(db.session, "unit", unit)
        assert len(selects) == 2
        db.session.commit()
        # A new transaction reads afresh (another may have minted in between).
        assert codes._TAKEN not in db.session.info
        shorts = db.session.scalars(sa.select(LabelCode.short_code)).all()
        assert len(shorts) == len(units) and all(codes.short_code_valid(s) for s in shorts)
