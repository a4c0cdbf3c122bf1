"""Permits to and from Excel by the registry's import rules: checked whole, written whole,
the same file twice changes nothing, the deposit's totals only grow, an export imports back."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from tests.webapp.registry.conftest import xlsx
from tests.webapp.registry.test_import import TOKEN_RE, commit, reported, upload
from tests.webapp.renovation.conftest import units_of
from webapp.extensions import db
from webapp.models import Unit
from webapp.models.renovation import DepositEntry, RenovationPermit
from webapp.registry import import_file

HEADERS = [c.header for c in import_file.COLUMNS["permits"]]


def _row(unit: Unit, number: str, **more) -> list:
    values = {
        "number": number,
        "owner_name": "林志明",
        "contractor": "安心水電工程",
        "contractor_phone": "0933-507-412",
        "starts_on": "2026-01-10",
        "ends_on": "2099-02-28",
        "hours": "08:00-12:00",
        "scope": "浴室重做",
        "deposit": 3000,
        "received": 3000,
        "refunded": "",
    } | more
    fields = {c.key for c in import_file.COLUMNS["permits"]}
    place = {"building": unit.building.name, "entrance": f"{unit.entrance}單元", "room": unit.room}
    return [
        (place | values).get(c.key, "") if c.key in fields else ""
        for c in import_file.COLUMNS["permits"]
    ]


def _permits(estate_id: int) -> dict[str, RenovationPermit]:
    return {
        p.number: p
        for p in db.session.scalars(
            sa.select(RenovationPermit).where(RenovationPermit.estate_id == estate_id)
        )
    }


def test_a_permits_file_is_checked_whole_then_written_whole_and_again_changes_nothing(
    app, supervisor, token, seed
):
    """Bad rows (a unit not registered, a date that is not one, hours that are not hours, an
    end before the start, the same number twice) reported by row and column with nothing
    written; fixed, the permits arrive with their deposit received as a ledger line and their
    units 裝修中; the same file again changes nothing."""
    estate = seed.estate_ids[0]
    with app.app_context():
        units = units_of(estate, "occupied")[:4]
        good = [_row(u, f"IMP-{n}") for n, u in enumerate(units)]
        ids = [u.id for u in units]
        before = len(_permits(estate))
    bad = [list(r) for r in good]
    col = {c.key: i for i, c in enumerate(import_file.COLUMNS["permits"])}
    bad[0][col["room"]] = "9999室"
    bad[1][col["starts_on"]] = "下週一"
    bad[2][col["hours"]] = "白天"
    bad[3][col["ends_on"]] = "2025-01-01"
    bad += [list(good[0]), list(good[0])]  # the first copy is good, the second a repeat
    preview = upload(supervisor, estate, "permits", xlsx(HEADERS, bad), "p.xlsx", token)
    assert preview.status_code == 422
    assert [(r, c) for r, c, _m in reported(preview)] == [
        (2, "房號"),
        (3, "開工日期"),
        (4, "施工時間"),
        (5, "完工日期"),
        (7, "許可證號"),
    ]
    with app.app_context():
        assert len(_permits(estate)) == before, "nothing written"
    preview = upload(supervisor, estate, "permits", xlsx(HEADERS, good), "p.xlsx", token)
    assert preview.status_code == 200
    done = commit(supervisor, estate, "permits", preview, token)
    assert done.headers["Location"] == f"/renovation/estates/{estate}/permits"
    with app.app_context():
        made = _permits(estate)
        assert len(made) == before + 4
        assert made["IMP-0"].deposit_total("received") == 3000
        assert all(db.session.get(Unit, i).status == "renovating" for i in ids)
    again = upload(supervisor, estate, "permits", xlsx(HEADERS, good), "p.xlsx", token)
    assert again.status_code == 200 and not TOKEN_RE.search(again.get_data(as_text=True))


def test_deposit_totals_only_grow_and_a_larger_one_adds_the_difference(
    app, supervisor, token, seed
):
    """Does a larger 已退押金 add a refund line for the difference, and a smaller 已收押金 get
    refused (a ledger never loses a line)?"""
    estate = seed.estate_ids[0]
    with app.app_context():
        unit = units_of(estate, "occupied")[5]
        first = [_row(unit, "DEP-1")]
        grown = [_row(unit, "DEP-1", refunded=1000)]
        shrunk = [_row(unit, "DEP-1", received=2000)]
    commit(
        supervisor,
        estate,
        "permits",
        upload(supervisor, estate, "permits", xlsx(HEADERS, first), "a.xlsx", token),
        token,
    )
    preview = upload(supervisor, estate, "permits", xlsx(HEADERS, grown), "b.xlsx", token)
    assert re.search(r"將更新</dt><dd>1</dd>", preview.get_data(as_text=True))
    commit(supervisor, estate, "permits", preview, token)
    refused = upload(supervisor, estate, "permits", xlsx(HEADERS, shrunk), "c.xlsx", token)
    assert [(r, c) for r, c, _m in reported(refused)] == [(2, "已收押金")]
    with app.app_context():
        permit = _permits(estate)["DEP-1"]
        assert [(e.kind, e.amount) for e in permit.entries] == [
            ("received", 3000),
            ("refunded", 1000),
        ]


def test_the_export_imports_back_unchanged(app, supervisor, token, seed):
    """Does the permits export (XLSX) carry the import's headers first, and import back with
    nothing to change?"""
    estate = seed.estate_ids[0]
    response = supervisor.get(f"/renovation/estates/{estate}/permits/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][: len(HEADERS)]) == HEADERS
    assert len(rows) > 1, "the demo has permits"
    back = upload(supervisor, estate, "permits", response.data, "export.xlsx", token)
    page = back.get_data(as_text=True)
    # Closed permits are refused (they no longer change); the open ones are all unchanged.
    with app.app_context():
        closed = sum(1 for p in _permits(estate).values() if p.closed_on is not None)
    assert len(reported(back)) == closed
    csv = supervisor.get(f"/renovation/estates/{estate}/permits/export.csv?state=active")
    assert csv.status_code == 200 and csv.data.startswith(b"\xef\xbb\xbf")
    assert "許可證號" in csv.data.decode("utf-8-sig") and page


def test_too_many_rows_are_refused(app, supervisor, token, seed, monkeypatch):
    """Does the permits import keep the registry's row cap?"""
    monkeypatch.setattr(import_file, "MAX_ROWS", 3)
    estate = seed.estate_ids[0]
    with app.app_context():
        unit = units_of(estate, "occupied")[0]
        rows = [_row(unit, f"CAP-{n}") for n in range(5)]
    response = upload(supervisor, estate, "permits", xlsx(HEADERS, rows), "big.xlsx", token)
    assert response.status_code == 422 and "超過 3 列" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DepositEntry)) >= 0
