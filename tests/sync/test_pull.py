"""Pull: the snapshot, changes since a cursor, tombstones, lost estates, expiry, consistency."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from sync import feed
from tests.sync.conftest import T0, codes_of, drain, lend_op
from webapp.extensions import db
from webapp.models import Estate, Key, LabelCode, Sign, Unit, User, utcnow


def _replay(changes, state=None):
    state = dict(state or {})
    for c in changes:
        if c["deleted"]:
            state.pop((c["type"], c["id"]), None)
        else:
            state[(c["type"], c["id"])] = c["data"]
    return state


def _expected(app, estate_ids):
    from sync.pull import LOADERS

    with app.app_context():
        out = {}
        for kind, model in feed.MODELS.items():
            col = model.id if model is Estate else model.estate_id
            ids = list(db.session.scalars(sa.select(model.id).where(col.in_(estate_ids))))
            for obj_id, data in LOADERS[kind](db.session, ids).items():
                out[(kind, str(obj_id))] = data
        return out


def test_the_snapshot_holds_exactly_the_users_estates(app, phone, seed):
    """Does a snapshot in pages give every object of the user's estate and nothing else?"""
    changes, _ = drain(phone, limit=37)
    state = _replay(changes)
    assert state == _expected(app, [seed.estate_ids[0]])
    registry = {"estate", "building", "unit", "key", "sign", "round", "permit"}
    assert registry <= {k for k, _ in state} <= registry | {"finding", "check"}
    assert all(d["estate_id"] == seed.estate_ids[0] for (k, _), d in state.items() if k != "estate")
    unit = next(d for (k, _), d in state.items() if k == "unit")
    assert set(unit) >= {"code", "short_code", "label", "estate_id"} and "棟-" in unit["label"]
    key = next(d for (k, _), d in state.items() if k == "key")
    assert key["status"] in {"in", "out", "issued", "disputed"} and "holder" in key
    estate = state[("estate", str(seed.estate_ids[0]))]
    assert set(estate) == {"name", "timezone"}


def test_after_a_cursor_only_what_changed_comes_with_a_higher_version(app, phone, seed):
    """Does a pull with a cursor give only the changed key, with its new status and version?"""
    snapshot, cursor = drain(phone)
    code = codes_of(app, seed.estate_ids[0], "key", 1, status="in")[0]
    assert phone.push([lend_op(code, T0)]).status_code == 200
    changes, cursor = drain(phone, cursor)
    assert [(c["type"], c["data"]["status"]) for c in changes] == [("key", "out")]
    before = next(c for c in snapshot if (c["type"], c["id"]) == ("key", changes[0]["id"]))
    assert changes[0]["version"] > before["version"]
    assert drain(phone, cursor)[0] == []


def test_deletions_and_deactivations_come_as_tombstones(app, phone, seed):
    """Do a deleted sign and a deactivated unit come as deleted: true after the cursor?"""
    _, cursor = drain(phone)
    with app.app_context():
        sign = db.session.scalar(sa.select(Sign).where(Sign.estate_id == seed.estate_ids[0]))
        unit = db.session.scalar(sa.select(Unit).where(Unit.estate_id == seed.estate_ids[0]))
        db.session.execute(
            sa.delete(LabelCode).where(LabelCode.item_type == "sign", LabelCode.item_id == sign.id)
        )
        db.session.delete(sign)
        unit.active = False
        gone = {("sign", str(sign.id)), ("unit", str(unit.id))}
        db.session.commit()
    changes, _ = drain(phone, cursor)
    assert {(c["type"], c["id"]) for c in changes if c["deleted"]} == gone


def test_a_reprinted_code_changes_the_item_in_the_feed(app, phone, seed):
    """Does a new active code for a unit reach the phone as a change of that unit?"""
    _, cursor = drain(phone)
    with app.app_context():
        code = db.session.scalar(
            sa.select(LabelCode).where(
                LabelCode.estate_id == seed.estate_ids[0], LabelCode.item_type == "unit"
            )
        )
        code.code = "Z" * 16
        db.session.commit()
        unit_id = str(code.item_id)
    changes, _ = drain(phone, cursor)
    assert [(c["type"], c["id"], c["data"]["code"]) for c in changes] == [
        ("unit", unit_id, "Z" * 16)
    ]


def test_an_estate_lost_comes_as_tombstones_and_one_gained_is_filled_in(app, phone, seed):
    """When access changes, are the lost estate's objects deleted and the new one's sent?"""
    first, second = seed.estate_ids
    state_0, cursor = drain(phone)
    state = _replay(state_0)
    with app.app_context():
        user = db.session.get(User, seed.user_ids["patrol"])
        user.estates = [db.session.get(Estate, second)]
        db.session.commit()
    changes, cursor = drain(phone, cursor, limit=50)
    state = _replay(changes, state)
    assert state == _expected(app, [second])
    assert all(c["deleted"] for c in changes if c["data"] is None)
    assert drain(phone, cursor)[0] == []


def test_pages_stay_consistent_while_others_write(app, phone, seed):
    """Does a client paging while objects change end with exactly the server's state?"""
    cursor, state = None, {}
    with app.app_context():
        keys = list(
            db.session.scalars(sa.select(Key.id).where(Key.estate_id == seed.estate_ids[0]))
        )
    for page in range(10_000):
        body = phone.pull(cursor, 13).get_json()
        state = _replay(body["changes"], state)
        cursor = body["cursor"]
        if page < 12:
            with app.app_context():  # change something already read and something not yet
                for key_id in (keys[page], keys[-1 - page]):
                    key = db.session.get(Key, key_id)
                    key.name = f"改{page}"
                db.session.commit()
        if not body["has_more"] and page >= 12:
            break
    assert state == _expected(app, [seed.estate_ids[0]])


def test_a_bad_limit_is_422_and_an_unknown_or_purged_cursor_is_410(app, phone, seed):
    """Are limits out of range 422, a forged cursor 410, and a cursor older than purge 410?"""
    assert phone.pull(limit=0).status_code == 422
    assert phone.pull(limit=1001).status_code == 422
    assert phone.pull(limit="x").status_code == 422
    assert phone.pull("nonsense").status_code == 410
    _, cursor = drain(phone)
    forged = cursor[:-1] + ("a" if cursor[-1] != "a" else "b")
    assert phone.pull(forged).get_json()["error"] == "cursor_expired"
    with app.app_context():
        unit = db.session.scalar(sa.select(Unit).where(Unit.estate_id == seed.estate_ids[0]))
        unit.active = False
        db.session.commit()
        feed.purge_tombstones(db.session, utcnow() + timedelta(days=1))
        db.session.commit()
    response = phone.pull(cursor)
    assert (response.status_code, response.get_json()["error"]) == (410, "cursor_expired")
    assert phone.pull().status_code == 200


def test_a_reprinted_label_travels_as_a_retired_code_of_its_item(app, phone, seed):
    """After a label is reprinted, does the next pull carry the item with its new code and the
    old one among its retired codes (so the phone, offline, can say it was replaced)?"""
    from webapp.labels.codes import retire_and_replace

    _snapshot, cursor = drain(phone)
    old_code = codes_of(app, seed.estate_ids[0], "sign", 1)[0]
    with app.app_context():
        old = db.session.scalar(sa.select(LabelCode).where(LabelCode.code == old_code))
        new = retire_and_replace(db.session, old, "label torn")
        db.session.commit()
        new_code, old_short, sign_id = new.code, old.short_code, old.item_id
    changes, _ = drain(phone, cursor)
    sign = next(c["data"] for c in changes if (c["type"], c["id"]) == ("sign", str(sign_id)))
    assert sign["code"] == new_code
    assert [(r["code"], r["short_code"]) for r in sign["retired_codes"]] == [(old_code, old_short)]
    assert sign["retired_codes"][0]["retired_at"]
    others = [c["data"] for c in changes if c["type"] == "unit" and not c["deleted"]]
    assert all(d["retired_codes"] == [] for d in others)


def test_a_savepoint_rolled_back_keeps_the_transactions_other_changes_in_the_feed(app, phone, seed):
    """A unit renamed, then a savepoint rolled back in the same transaction (as the merge
    does for a bad op): does the rename still reach the feed, and so the phones?"""
    _snapshot, cursor = drain(phone)
    with app.app_context():
        unit = db.session.scalar(
            sa.select(Unit).where(Unit.estate_id == seed.estate_ids[0]).order_by(Unit.id)
        )
        unit.room = "9901"
        db.session.flush()
        nested = db.session.begin_nested()
        db.session.add(Sign(estate_id=seed.estate_ids[0], category="floor", location="回滾"))
        db.session.flush()
        nested.rollback()
        db.session.commit()
        unit_id = str(unit.id)
    changes, _ = drain(phone, cursor)
    assert ("unit", unit_id) in {(c["type"], c["id"]) for c in changes}
    # And what the savepoint wrote and took back is not announced either.
    assert [c for c in changes if c["type"] == "sign"] == []
