"""Tamper evidence: every key event links to the one before it; the check names the first break."""

from __future__ import annotations

import sqlalchemy as sa

from tests.sync.conftest import T0, codes_of, lend_op, minutes, return_op
from webapp.extensions import db
from webapp.models.sync import KeyEvent


def _history(app, phone, seed, n_keys=2):
    codes = codes_of(app, seed.estate_ids[0], "key", n_keys, status="in")
    for code in codes:
        ops = [
            lend_op(code, T0),
            return_op(code, T0 + minutes(30)),
            lend_op(code, T0 + minutes(60)),
        ]
        response = phone.push(ops)
        assert response.status_code == 200
        assert [r["status"] for r in response.get_json()["results"]] == ["applied"] * 3
    return codes


def _events_of(app, code):
    from webapp.models import LabelCode

    item = db.session.scalar(sa.select(LabelCode.item_id).where(LabelCode.code == code))
    return list(
        db.session.scalars(
            sa.select(KeyEvent).where(KeyEvent.key_id == item).order_by(KeyEvent.seq)
        )
    )


def _verify(app):
    return app.test_cli_runner().invoke(args=["keys", "verify-chain"])


def test_an_untouched_chain_verifies(app, phone, seed):
    """Does the chain of freshly synced events verify, each linking to the one before?"""
    _history(app, phone, seed)
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    with app.app_context():
        events = db.session.scalars(sa.select(KeyEvent).order_by(KeyEvent.key_id, KeyEvent.seq))
        by_key: dict[int, list[KeyEvent]] = {}
        for e in events:
            by_key.setdefault(e.key_id, []).append(e)
        for chain in by_key.values():
            for before, after in zip(chain, chain[1:], strict=False):
                assert after.prev_hash == before.hash


def test_an_edited_row_is_named(app, phone, seed):
    """Does an edited borrower name break the chain at exactly that event?"""
    codes = _history(app, phone, seed)
    with app.app_context():
        victim = _events_of(app, codes[0])[1]
        victim_id = victim.id
        db.session.execute(
            sa.update(KeyEvent).where(KeyEvent.id == victim_id).values(purpose="改過")
        )
        db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"event {victim_id} (seq 2)" in result.output
    assert "content does not match" in result.output


def test_a_deleted_middle_row_is_named(app, phone, seed):
    """Does deleting an event in the middle name the event after the gap?"""
    (code,) = _history(app, phone, seed, n_keys=1)
    with app.app_context():
        rows = _events_of(app, code)
        db.session.execute(sa.delete(KeyEvent).where(KeyEvent.id == rows[1].id))
        db.session.commit()
        after_gap = rows[2].id
    result = _verify(app)
    assert result.exit_code == 1
    assert f"event {after_gap} (seq 3)" in result.output
    assert "deleted" in result.output


def test_a_deleted_newest_row_is_caught_by_the_head(app, phone, seed):
    """Is deleting a key's newest event caught, though no later event links to it?"""
    (code,) = _history(app, phone, seed, n_keys=1)
    with app.app_context():
        newest = _events_of(app, code)[-1]
        key_id = newest.key_id
        db.session.delete(newest)
        db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"key {key_id}: the chain ends at seq 2 but the head says seq 3" in result.output


def test_a_relinked_forgery_is_caught(app, phone, seed):
    """Is an edit with a recomputed hash caught at the next event, whose link no longer holds?"""
    from sync.chain import seal

    (code,) = _history(app, phone, seed, n_keys=1)
    with app.app_context():
        rows = _events_of(app, code)
        rows[0].borrower_name = "假名"
        rows[0].hash = seal(rows[0])
        db.session.commit()
        next_id = rows[1].id
    result = _verify(app)
    assert result.exit_code == 1
    assert f"event {next_id} (seq 2)" in result.output
    assert "does not link" in result.output
