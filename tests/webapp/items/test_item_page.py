"""`/q/<code>`: the item a label names, retired-code notices, one 404 for unknown and foreign."""

from __future__ import annotations

import re

import sqlalchemy as sa

from webapp import vocab
from webapp.extensions import db
from webapp.labels import codes
from webapp.models import Key, LabelCode, Sign, Unit


def _code(app, item_type, estate_id, where=None):
    with app.app_context():
        query = sa.select(LabelCode).where(
            LabelCode.item_type == item_type, LabelCode.estate_id == estate_id, LabelCode.active
        )
        model = {"unit": Unit, "key": Key, "sign": Sign}[item_type]
        if where is not None:
            query = query.join(model, model.id == LabelCode.item_id).where(where)
        return db.session.scalars(query).first().code


def test_a_unit_page_shows_status_and_its_keys(app, client, auth, seed):
    """Does a unit's code open the unit with its status and its keys with their holders?"""
    with app.app_context():
        unit = db.session.scalars(
            sa.select(Unit)
            .join(Key, Key.unit_id == Unit.id)
            .where(Unit.estate_id == seed.estate_ids[0])
        ).first()
        code = codes.active_code(db.session, "unit", unit.id).code
        label, status = unit.label, unit.status
        kinds = {k.kind for k in unit.keys}
    auth.login("patrol")
    page = client.get(f"/q/{code}").get_data(as_text=True)
    assert label in page
    assert {"occupied": "已入住", "vacant": "空置", "renovating": "裝修中"}[status] in page
    for kind in kinds:
        assert vocab.zh("owner_key_kind", kind) in page
    assert 'id="item-history"' in page


def test_a_key_page_shows_class_and_holder(app, client, auth, seed):
    """Does a lent key's code open the key with its class, status and holder?"""
    code = _code(app, "key", seed.estate_ids[0], Key.status == "out")
    with app.app_context():
        key = db.session.get(
            Key, db.session.scalar(sa.select(LabelCode.item_id).where(LabelCode.code == code))
        )
        holder = key.holder_name
        kind = vocab.zh("borrower_type", key.holder_type)
    auth.login("desk")
    page = client.get(f"/q/{code}").get_data(as_text=True)
    assert holder in page and "借出" in page
    assert f"{holder}（{kind}）" in page  # Chinese brackets: never 李先生 (租戶)
    assert any(name in page for name in ("業主鑰匙", "公共區域門窗鑰匙", "設施設備房鑰匙"))


def test_a_sign_page_shows_category_and_location(app, client, auth, seed):
    """Does a sign's code open the sign with its category and location?"""
    code = _code(app, "sign", seed.estate_ids[0], Sign.category == "mailbox")
    auth.login("patrol")
    page = client.get(f"/q/{code.lower()}").get_data(as_text=True)
    assert "信報箱" in page and "大堂信報箱" in page


def test_a_retired_code_opens_the_item_with_a_replaced_notice(app, client, auth, seed):
    """Does a reprinted label's old code still open the item, saying when and by what?"""
    with app.app_context():
        old = db.session.scalars(
            sa.select(LabelCode).where(
                LabelCode.item_type == "unit", LabelCode.estate_id == seed.estate_ids[0]
            )
        ).first()
        new = codes.retire_and_replace(db.session, old, "label torn")
        db.session.commit()
        old_code, new_code, new_short = old.code, new.code, new.short_code
        day = old.retired_at.strftime("%Y-%m-%d")
        label = old.item(db.session).label
    auth.login("patrol")
    page = client.get(f"/q/{old_code}").get_data(as_text=True)
    assert label in page
    assert "這張標籤已於" in page and day in page and f"{new_short[:4]}-{new_short[4:]}" in page
    assert "label torn" in page and f"/q/{new_code}" in page
    fresh = client.get(f"/q/{new_code}").get_data(as_text=True)
    assert "這張標籤已於" not in fresh and "label torn" in fresh  # in the history


def test_unknown_and_foreign_codes_get_the_same_404(app, client, auth, seed):
    """Is another estate's code answered exactly like a code that does not exist?"""
    foreign = _code(app, "unit", seed.estate_ids[1])
    auth.login("patrol")
    unknown = client.get("/q/0000000000000000")
    other = client.get(f"/q/{foreign}")
    junk = client.get("/q/%E6%A3%9F")
    assert unknown.status_code == other.status_code == junk.status_code == 404

    # The same page, but for the language form's return address, the (timed) CSRF token and
    # the request's id (every error page names its own).
    def page(response, code):
        text = response.get_data(as_text=True).replace(code, "CODE")
        text = re.sub(r'class="request-id">[^<]*<', "REQUEST", text)
        return re.sub(r'(csrf_token" value=|X-CSRFToken": )"[^"]+"', "TOKEN", text)

    assert page(unknown, "0000000000000000") == page(other, foreign)
    auth.logout()
    auth.login("patrol2")
    assert client.get(f"/q/{foreign}").status_code == 200


def test_logged_out_scan_logs_in_then_opens_the_item(app, client, auth, seed):
    """Does a logged-out scan go to the login form and, after it, straight to the item?"""
    code = _code(app, "sign", seed.estate_ids[0])
    response = client.get(f"/q/{code}")
    assert response.status_code == 302
    assert (
        "/login" in response.headers["Location"]
        and f"next=/q/{code}" in response.headers["Location"]
    )
    token = auth.csrf()
    response = client.post(
        f"/login?next=/q/{code}",
        data={"username": "patrol", "password": "patrol-demo", "csrf_token": token},
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/q/{code}"
    assert client.get(f"/q/{code}").status_code == 200


def test_english_reader_gets_english_page(app, client, auth, seed):
    """Is the item page English for an English reader, with the label text kept in Chinese?"""
    code = _code(app, "unit", seed.estate_ids[0])
    auth.login("patrol")
    page = client.get(f"/q/{code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "History" in page and "單元" in page


def test_a_label_reprinted_for_no_given_reason_says_so_in_the_readers_language(
    app, client, auth, seed
):
    """A reprint with no reason keeps the word "reprinted": do the old code's notice and the
    history say 重印 to a Chinese reader (Reprinted to an English one), never the stored word?"""
    with app.app_context():
        old = db.session.scalars(
            sa.select(LabelCode).where(
                LabelCode.item_type == "sign",
                LabelCode.estate_id == seed.estate_ids[0],
                LabelCode.active,
            )
        ).first()
        codes.retire_and_replace(db.session, old, "")
        db.session.commit()
        old_code = old.code
    auth.login("patrol")
    page = client.get(f"/q/{old_code}").get_data(as_text=True)
    assert "（重印）" in page and "reprinted" not in page
    english = client.get(f"/q/{old_code}", headers={"Accept-Language": "en"})
    assert "(Reprinted)" in english.get_data(as_text=True)
