"""A name's length is judged as it is kept: folded (NFKC, as the registry keeps names), "3"
made "3棟". Three ﷺ are 3 characters typed and 54 folded: the forms checked the typed length,
so such a name reached the database — PostgreSQL refused it (a generic 422 page, nothing beside
the field), SQLite kept a name longer than its column. Each is refused beside its field now,
with the field's own message, on both databases, in both languages."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token_from
from tests.webapp.registry.conftest import UNIT_HEADERS, unit_rows, xlsx
from webapp.extensions import db
from webapp.models import Building, Estate, Key, Sign, Unit

HX = {"HX-Request": "true"}
LONG = "\ufdfa"  # ﷺ: 1 character typed, 18 folded


def _ids(app, estate_id):
    with app.app_context():
        building = db.session.scalar(
            sa.select(Building).where(Building.estate_id == estate_id).order_by(Building.id)
        )
        return building.id


def _counts(app):
    with app.app_context():
        return [
            db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (Building, Unit, Sign, Key, Estate)
        ]


# (form, field, its column's length, the post's other fields)
CASES = [
    ("buildings", "name", 40, {"floors": "3"}),
    ("units", "entrance", 20, {"floor": "3", "room": "301", "status": "occupied"}),
    ("units", "room", 20, {"entrance": "1", "floor": "3", "status": "occupied"}),
    ("signs", "location", 200, {"category": "elevator", "floor": "9"}),
    ("signs", "description", 200, {"category": "elevator", "location": "9樓電梯廳"}),
    ("keys", "equipment_room", 120, {"key_class": "equipment_room", "copies": "1"}),
    ("keys", "name", 120, {"key_class": "equipment_room", "equipment_room": "水泵房"}),
]


@pytest.mark.parametrize(("kind", "field", "limit", "others"), CASES)
@pytest.mark.parametrize(("language", "message"), [("zh-TW", "不能超過"), ("en", "longer than")])
def test_a_name_longer_once_folded_is_refused_beside_its_field(
    app, client, auth, seed, kind, field, limit, others, language, message
):
    """Is a value short as typed but over its column once folded refused beside its field,
    with the message an over-long typed value gets, and nothing written?"""
    auth.login("admin")
    estate = seed.estate_ids[0]
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    typed = LONG * (limit // 18 + 1)
    assert len(typed) <= limit < len(typed) * 18
    data = {"building_id": str(_ids(app, estate)), **others, field: typed, "csrf_token": token}
    before = _counts(app)
    response = client.post(
        f"/registry/estates/{estate}/{kind}",
        data=data,
        headers={**HX, "Accept-Language": language},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'-{field.replace("_", "-")}-error"' in body or f"-{field}-error" in body
    assert message in body and str(limit) in body
    assert _counts(app) == before


def test_a_building_number_that_grows_past_its_column_is_refused(app, client, auth, seed):
    """Is a building written as 40 digits (made "…棟", 41) refused beside the field?"""
    auth.login("admin")
    estate = seed.estate_ids[0]
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    before = _counts(app)
    response = client.post(
        f"/registry/estates/{estate}/buildings",
        data={"name": "1" * 40, "floors": "3", "csrf_token": token},
        headers=HX,
    )
    assert response.status_code == 422
    assert "不能超過 40 個字" in response.get_data(as_text=True)
    assert _counts(app) == before


def test_an_estate_name_longer_once_folded_gets_the_fields_message(app, client, auth, seed):
    """Is the estate form's name judged the same way, with the same message?"""
    auth.login("hq")
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post(
        "/admin/estates", data={"name": LONG * 7, "timezone": "Asia/Taipei", "csrf_token": token}
    )
    assert response.status_code == 422
    assert "不能超過 120 個字" in response.get_data(as_text=True)


def test_an_imported_building_that_grows_past_its_column_is_a_row_error(app, client, auth, seed):
    """Is a units file's building of 40 digits (41 once made "…棟") a row error, not a row
    that the database refuses?"""
    auth.login("admin")
    estate = seed.estate_ids[0]
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    rows = unit_rows(2)
    rows[1][0] = "1" * 40
    rows[0][0] = LONG * 3
    upload = (io.BytesIO(xlsx(UNIT_HEADERS, rows)), "units.xlsx")
    response = client.post(
        f"/registry/estates/{estate}/import/units",
        data={"file": upload, "csrf_token": token},
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert body.count("最多 40 個字") == 2, body[-3000:]


def test_an_imported_building_of_thousands_of_digits_is_a_row_error(app, client, auth, seed):
    """Is a building cell of 5,000 digits (past int()'s 4,300: "…棟" could not be made of it)
    the row's "at most 40", not a 500?"""
    auth.login("admin")
    estate = seed.estate_ids[0]
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    rows = unit_rows(1)
    rows[0][0] = "1" * 5000
    upload = (io.BytesIO(xlsx(UNIT_HEADERS, rows)), "units.xlsx")
    response = client.post(
        f"/registry/estates/{estate}/import/units",
        data={"file": upload, "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.status_code
    assert "最多 40 個字" in response.get_data(as_text=True)
