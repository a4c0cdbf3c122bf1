"""The register view: custody from the event log, filters, exports matching filters, overdue
highlighted, estates kept apart."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from tests.sync.conftest import lend_op
from tests.webapp.keys.conftest import key_codes, key_of, op, push_one
from webapp.extensions import db
from webapp.models import Key
from webapp.models.types import utcnow


def _lend(phone, code, name, due_in_hours):
    body = lend_op(code, utcnow() - timedelta(hours=3), name=name)
    body["payload"]["due_back"] = (utcnow() + timedelta(hours=due_in_hours)).isoformat()
    return push_one(phone, body)


def test_the_register_shows_custody_and_highlights_overdue(app, client, auth, make_phone, seed):
    """Are a lent key, an overdue key and an issued key shown with their holders, overdue marked?"""
    desk = make_phone("desk", "desk")
    late, fine = key_codes(app, seed.estate_ids[0], "public_area", 2)
    (owner,) = key_codes(app, seed.estate_ids[0], "owner")
    _lend(desk, late, "遲還的人", -1)
    _lend(desk, fine, "準時的人", 5)
    push_one(desk, op("key.issue", code=owner, owner_name="業主王<b>"))
    auth.login("desk")
    page = client.get("/keys/?status=overdue").get_data(as_text=True)
    assert "遲還的人" in page and "準時的人" not in page
    assert 'class="is-overdue"' in page
    page = client.get("/keys/?status=issued").get_data(as_text=True)
    assert "業主王&lt;b&gt;" in page and "業主王<b>" not in page
    page = client.get("/keys/?status=out").get_data(as_text=True)
    assert "遲還的人" in page and "準時的人" in page


def test_exports_match_the_filters(app, client, auth, make_phone, seed):
    """Do the CSV and XLSX exports hold exactly the rows the filters select, overdue marked?"""
    desk = make_phone("desk", "desk")
    late, fine = key_codes(app, seed.estate_ids[0], "public_area", 2)
    _lend(desk, late, "遲還的人", -1)
    _lend(desk, fine, "準時的人", 5)
    auth.login("desk")
    response = client.get("/keys/register.csv?status=out")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "鑰匙"
    holders = {r[3]: r[8] for r in rows[1:]}
    assert holders["遲還的人"] == "是" and holders["準時的人"] == ""
    assert {r[2] for r in rows[1:]} == {"借出"}
    with app.app_context():
        out = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Key)
            .where(Key.estate_id == seed.estate_ids[0], Key.status == "out", Key.active)
        )
    assert len(rows) - 1 == out
    response = client.get("/keys/register.xlsx?status=overdue")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "遲還的人" in [v[3] for v in values[1:]]
    assert "準時的人" not in [v[3] for v in values[1:]]
    assert {v[8] for v in values[1:]} == {"是"}


def test_another_estates_keys_stay_out_of_the_register(app, client, auth, make_phone, seed):
    """Does a user of estate 2 see none of estate 1's lends, in the page or the export?"""
    desk = make_phone("desk", "desk")
    (code,) = key_codes(app, seed.estate_ids[0], "public_area")
    _lend(desk, code, "第一苑的人", 5)
    auth.login("patrol2")
    assert client.get("/keys/").status_code == 403
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.models import User

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "patrol2"))
        user.role = "frontdesk"
        db.session.commit()
    auth.login("patrol2")  # a role change ends the user's sessions: log in again
    assert client.get("/keys/").status_code == 200
    page = client.get("/keys/?status=out").get_data(as_text=True)
    assert "第一苑的人" not in page
    assert "第一苑的人" not in client.get("/keys/register.csv").get_data(as_text=True)
    token = auth.csrf("/keys/")
    response = client.post(f"/keys/{key_of(app, code).id}/resolve", data={"csrf_token": token})
    assert response.status_code in (403, 404)


def test_the_front_desk_home_is_the_key_desk(app, client, auth, make_phone, seed):
    """Does the front desk's home list an overdue key?"""
    desk = make_phone("desk", "desk")
    (code,) = key_codes(app, seed.estate_ids[0], "public_area")
    _lend(desk, code, "遲還的人", -2)
    auth.login("desk")
    page = client.get("/").get_data(as_text=True)
    assert "遲還的人" in page


def test_a_keys_history_is_on_its_item_page(app, client, auth, make_phone, seed):
    """Does the key's /q/ page list its lend?"""

    desk = make_phone("desk", "desk")
    (code,) = key_codes(app, seed.estate_ids[0], "public_area")
    _lend(desk, code, "歷史裡的人", 5)
    auth.login("supervisor")
    page = client.get(f"/q/{code}", follow_redirects=True).get_data(as_text=True)
    assert "歷史裡的人" in page
