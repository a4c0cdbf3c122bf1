"""Exports: each list to CSV and XLSX with its filters applied, and back in through import."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from openpyxl import load_workbook

from tests.webapp.registry.conftest import total
from tests.webapp.registry.test_import import TOKEN_RE, upload
from webapp.extensions import db
from webapp.models import Building, Unit


def rows_of(response, fmt):
    if fmt == "csv":
        return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def test_exports_carry_the_lists_filters(app, supervisor, big_estate):
    """Does each export hold exactly the rows the filtered list shows (all pages of them)?"""
    with app.app_context():
        b3 = db.session.scalar(
            sa.select(Building.id).where(Building.estate_id == big_estate, Building.name == "3棟")
        )
    base = f"/registry/estates/{big_estate}/units"
    for fmt in ("csv", "xlsx"):
        everything = supervisor.get(f"{base}/export.{fmt}")
        assert everything.status_code == 200
        assert "attachment" in everything.headers["Content-Disposition"]
        rows = rows_of(everything, fmt)
        assert rows[0][:5] == ["棟", "單元", "樓層", "房號", "狀態"]
        assert len(rows) == 2001
        filtered = rows_of(supervisor.get(f"{base}/export.{fmt}?building={b3}&status=vacant"), fmt)
        listed = total(supervisor.get(f"{base}?building={b3}&status=vacant"))
        assert len(filtered) - 1 == listed > 0
        assert {r[0] for r in filtered[1:]} == {"3棟"} and {r[4] for r in filtered[1:]} == {"空置"}
        searched = rows_of(supervisor.get(f"{base}/export.{fmt}?q=3棟+15樓"), fmt)
        assert len(searched) - 1 == 20
    assert supervisor.get(f"{base}/export.pdf").status_code == 404


def test_an_export_imports_back_unchanged(app, supervisor, seed, auth):
    """Can an export be imported back as-is, changing nothing (the Excel round trip)?"""
    estate = seed.estate_ids[0]
    token = auth.csrf("/")
    for kind in ("units", "signs", "keys"):
        exported = supervisor.get(f"/registry/estates/{estate}/{kind}/export.xlsx")
        preview = upload(supervisor, estate, kind, exported.data, f"{kind}.xlsx", token)
        page = preview.get_data(as_text=True)
        assert preview.status_code == 200, page[page.find("reg-errors") :][:800]
        assert "無須匯入" in page and not TOKEN_RE.search(page), kind


def test_signs_and_keys_export_with_filters(app, supervisor, seed):
    """Do the sign category and key class filters apply to their exports?"""
    estate = seed.estate_ids[0]
    roads = rows_of(
        supervisor.get(f"/registry/estates/{estate}/signs/export.csv?category=road"), "csv"
    )
    assert len(roads) == 3 and {r[0] for r in roads[1:]} == {"道路"}
    rooms = rows_of(
        supervisor.get(f"/registry/estates/{estate}/keys/export.xlsx?key_class=equipment_room"),
        "xlsx",
    )
    assert len(rooms) == 7 and {r[0] for r in rooms[1:]} == {"設施設備房鑰匙"}


def test_cells_that_look_like_formulas_are_exported_as_text(app, supervisor, seed, auth):
    """Is a sign location starting with '=' exported as text, not as an Excel formula?"""
    estate = seed.estate_ids[0]
    supervisor.post(
        f"/registry/estates/{estate}/signs",
        data={
            "category": "road",
            "location": "=HYPERLINK(1)",
            "building_id": 0,
            "csrf_token": auth.csrf("/"),
        },
    )
    rows = rows_of(
        supervisor.get(f"/registry/estates/{estate}/signs/export.csv?q=HYPERLINK"), "csv"
    )
    assert rows[1][1] == "'=HYPERLINK(1)"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit)) > 0
