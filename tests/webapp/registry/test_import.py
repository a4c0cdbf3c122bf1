"""Bulk import from XLSX and CSV: preview, per-row errors, all-or-nothing, idempotent re-import."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from sync import blobs
from tests.webapp.registry.conftest import (
    UNIT_HEADERS,
    audit_events,
    count,
    csv_bytes,
    unit_rows,
    xlsx,
)
from webapp.extensions import db
from webapp.models import Building, Estate, Key, LabelCode, Sign, Unit
from webapp.registry import import_file, importer
from webapp.renovation import permits
from webapp.renovation.status import estate_today

ERROR_ROW_RE = re.compile(
    r'<tr><td class="num"><strong>(\d+)</strong></td><td>([^<]*)</td><td>([^<]*)</td></tr>'
)
TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')


def upload(client, estate_id, kind, data, filename, token):
    return client.post(
        f"/registry/estates/{estate_id}/import/{kind}",
        data={"file": (io.BytesIO(data), filename), "csrf_token": token},
        content_type="multipart/form-data",
    )


def commit(client, estate_id, kind, preview, token):
    match = TOKEN_RE.search(preview.get_data(as_text=True))
    assert match, "the preview offers no import button"
    return client.post(
        f"/registry/estates/{estate_id}/import/{kind}/commit",
        data={"token": match.group(1), "csrf_token": token},
    )


def reported(response) -> list[tuple[int, str, str]]:
    return [(int(r), c, m) for r, c, m in ERROR_ROW_RE.findall(response.get_data(as_text=True))]


def test_500_units_with_3_bad_rows_then_fixed_then_imported_again(app, supervisor, seed, token):
    """The issue's acceptance run: 3 bad rows reported exactly and nothing written; fixed, 500
    units arrive with codes in one go; the same file again changes nothing."""
    estate = seed.estate_ids[0]
    with app.app_context():
        units_before = count(Unit, estate_id=estate)
        codes_before = count(LabelCode, estate_id=estate)
    good = unit_rows(500)
    bad = [list(r) for r in good]
    bad[9][2] = "十五"  # spreadsheet row 11: floor is not a number
    bad[199][3] = ""  # row 201: no room
    bad[449][4] = "已出售"  # row 451: not a status
    preview = upload(supervisor, estate, "units", xlsx(UNIT_HEADERS, bad), "units.xlsx", token)
    assert preview.status_code == 422
    problems = reported(preview)
    assert [(row, column) for row, column, _ in problems] == [
        (11, "樓層"),
        (201, "房號"),
        (451, "狀態"),
    ]
    assert "十五" in problems[0][2] and "已出售" in problems[2][2]
    assert "尚未匯入任何資料" in preview.get_data(as_text=True)
    assert not TOKEN_RE.search(preview.get_data(as_text=True))
    with app.app_context():
        assert count(Unit, estate_id=estate) == units_before, "nothing written"
        assert count(Building, name="11棟") == 0

    fixed = xlsx(UNIT_HEADERS, good)
    preview = upload(supervisor, estate, "units", fixed, "units.xlsx", token)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "11棟、12棟、13棟、14棟、15棟" in page
    done = commit(supervisor, estate, "units", preview, token)
    assert done.status_code == 303
    assert done.headers["Location"] == f"/registry/estates/{estate}/units"
    with app.app_context():
        assert count(Unit, estate_id=estate) == units_before + 500
        assert count(LabelCode, estate_id=estate) == codes_before + 500
        assert count(Building, estate_id=estate, name="15棟") == 1
        vacant = db.session.scalar(
            sa.select(Unit)
            .join(Building)
            .where(Building.name == "11棟", Unit.entrance == "1", Unit.room == "102")
        )
        assert vacant.status == "vacant" and vacant.label == "11棟-1單元-1樓-102室"
        (event,) = audit_events("registry.import")
        assert event.after["created"] == 500

    again = upload(supervisor, estate, "units", fixed, "units.xlsx", token)
    assert again.status_code == 200
    page = again.get_data(as_text=True)
    assert "無須匯入" in page and not TOKEN_RE.search(page)
    with app.app_context():
        assert count(Unit, estate_id=estate) == units_before + 500
        assert len(audit_events("registry.import")) == 1


def test_reimport_updates_only_what_changed_and_audits_status(app, supervisor, seed, token):
    """Does a re-import with one changed status update just that unit, audited as such?"""
    estate = seed.estate_ids[0]
    rows = unit_rows(20)
    with app.app_context():  # the demo's own (its accepted permits) are not this test's
        earlier = {e.id for e in audit_events("unit.status")}
    commit(
        supervisor,
        estate,
        "units",
        upload(supervisor, estate, "units", xlsx(UNIT_HEADERS, rows), "a.xlsx", token),
        token,
    )
    rows[3][4] = "空置" if rows[3][4] != "空置" else "已入住"
    rows[5][4] = ""  # blank status keeps what the registry has
    preview = upload(supervisor, estate, "units", xlsx(UNIT_HEADERS, rows), "b.xlsx", token)
    page = preview.get_data(as_text=True)
    assert re.search(r"將更新</dt><dd>1</dd>", page)
    assert re.search(r"無變動</dt><dd>19</dd>", page)
    commit(supervisor, estate, "units", preview, token)
    with app.app_context():
        (event,) = [e for e in audit_events("unit.status") if e.id not in earlier]
        assert event.after == {"status": importer.naming.vocab_value("unit_status", rows[3][4])}
        assert event.actor_id == seed.user_ids["supervisor"]


def test_under_renovation_is_never_imported_with_units(app, supervisor, seed, token):
    """Is 裝修中 in a units file refused for a unit without an active permit (and leaving it
    refused for one with), while a renovating unit's own 裝修中 is left alone? Issue 20: the
    status comes from the permits."""
    estate = seed.estate_ids[0]
    with app.app_context():
        units = db.session.scalars(
            sa.select(Unit).where(Unit.estate_id == estate, Unit.status == "occupied")
        ).all()
        renovating, other = units[-1], units[-2]
        place = db.session.get(Estate, estate)
        values = {"unit_id": renovating.id, "number": "T-9", "starts_on": estate_today(place)}
        permits.create(db.session, place, values, None)
        db.session.commit()
        assert renovating.status == "renovating"
        rows = [
            [u.building.name, u.entrance, u.floor, u.room, status]
            for u, status in (
                (renovating, "裝修中"),
                (other, "裝修中"),
                (renovating, "已入住"),
            )
        ]
    response = upload(supervisor, estate, "units", xlsx(UNIT_HEADERS, rows[:2]), "r.xlsx", token)
    assert [(row, column) for row, column, _ in reported(response)] == [(3, "狀態")]
    response = upload(supervisor, estate, "units", xlsx(UNIT_HEADERS, rows[2:]), "s.xlsx", token)
    assert [(row, column) for row, column, _ in reported(response)] == [(2, "狀態")]
    assert "裝修許可" in reported(response)[0][2]


def test_duplicates_inside_a_file_are_reported_against_the_first(app, supervisor, seed, token):
    """Is a unit listed twice reported on the second row, naming the first?"""
    rows = unit_rows(5)
    rows.append(["11", "1單元", "1", "101室", ""])  # the same unit as row 2, written differently
    response = upload(
        supervisor, seed.estate_ids[0], "units", xlsx(UNIT_HEADERS, rows), "d.xlsx", token
    )
    assert reported(response) == [(7, "房號", "與第 2 列重複。")]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("units.txt", b"hello", "請上傳 Excel 活頁簿"),
        ("units.xlsx", b"", "檔案是空的"),
        ("units.xlsx", b"this is not a zip file", "不是 Excel 活頁簿"),
        ("units.xlsx", b"PK\x03\x04garbage", "無法讀取這個 Excel 檔案"),
        ("units.csv", b"\xff\xfe\x00\x00binary\x00", "不是 CSV 文字檔"),
        ("units.csv", "棟,單元\n3,2\n".encode(), "標題列缺少欄位：樓層、房號"),
        ("units.csv", "棟,單元,樓層,房號\n".encode(), "只有標題列"),
        ("units.csv", b"\n\n", "檔案是空的"),
        ("units.csv", "棟,棟,單元,樓層,房號\n1,1,1,1,101\n".encode(), "出現了兩次"),
        # A NUL past the first 4 KB (PostgreSQL refuses it in text: was a 500 there).
        (
            "units.csv",
            ("棟,單元,樓層,房號\n" + "1,1,1,101\n" * 600 + "1,1,1,1\x0002\n").encode(),
            "NUL",
        ),
    ],
)
def test_bad_files_are_refused_clearly_never_a_500(
    app, supervisor, seed, token, filename, data, message
):
    """Is each kind of unusable file refused with a message saying what is wrong?"""
    response = upload(supervisor, seed.estate_ids[0], "units", data, filename, token)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_is_refused(app, supervisor, seed, token, monkeypatch):
    """Is a file larger than the import limit refused, saying so?"""
    # A small limit keeps the test client's upload in memory (larger ones spool to disk).
    monkeypatch.setattr(import_file, "MAX_BYTES", 4 << 20 >> 12)
    data = csv_bytes(UNIT_HEADERS, unit_rows(200))
    assert len(data) > import_file.MAX_BYTES
    response = upload(supervisor, seed.estate_ids[0], "units", data, "big.csv", token)
    assert response.status_code == 422
    assert "請拆成較小的檔案" in response.get_data(as_text=True)


def test_too_many_rows_are_refused(app, supervisor, seed, token, monkeypatch):
    """Is a file with more rows than the limit refused before any checking?"""
    monkeypatch.setattr(import_file, "MAX_ROWS", 10)
    response = upload(
        supervisor,
        seed.estate_ids[0],
        "units",
        xlsx(UNIT_HEADERS, unit_rows(12)),
        "big.xlsx",
        token,
    )
    assert response.status_code == 422
    assert "超過 10 列" in response.get_data(as_text=True)


def test_csv_in_big5_with_english_headers_and_extra_columns(app, supervisor, seed, token):
    """Does a Big5 CSV with English headers import, ignoring columns it does not know?"""
    data = csv_bytes(
        ["Building", "Entrance", "Floor", "Room", "Status", "備註"],
        [["31", "1", "B1", "B101", "vacant", "x"], ["31", "1", "2", "201", "", ""]],
        encoding="cp950",
    )
    preview = upload(supervisor, seed.estate_ids[0], "units", data, "u.csv", token)
    assert preview.status_code == 200, reported(preview)
    assert "略過的欄位：備註" in preview.get_data(as_text=True)
    commit(supervisor, seed.estate_ids[0], "units", preview, token)
    with app.app_context():
        unit = db.session.scalar(sa.select(Unit).where(Unit.room == "B101"))
        assert (unit.floor, unit.status, unit.building.name) == (-1, "vacant", "31棟")


def test_signs_and_keys_import_once_and_match_on_their_natural_keys(app, supervisor, seed, token):
    """Do sign and key files import, report bad rows, and change nothing the second time?"""
    estate = seed.estate_ids[0]
    with app.app_context():
        unit = db.session.scalar(
            sa.select(Unit).where(Unit.estate_id == estate, ~Unit.keys.any()).order_by(Unit.id)
        )
        b, e, r = unit.building.name, unit.entrance, unit.room
        signs_before, keys_before = count(Sign, estate_id=estate), count(Key, estate_id=estate)
    signs = xlsx(
        ["類別", "位置", "棟", "樓層", "說明"],
        [["電梯", "1棟9樓電梯廳", "1棟", 9, ""], ["道路", "北門車道", "", "", "限速 10"]],
    )
    keys = csv_bytes(
        ["類別", "棟", "單元", "房號", "樓層", "種類", "設備房", "名稱", "份數"],
        [
            ["業主鑰匙", b, e, r, "", "防盜鐵門", "", "", "2"],
            ["公共區域門窗鑰匙", "1棟", "", "", "5", "", "", "管道間", ""],
            ["設施設備房鑰匙", "", "", "", "", "", "鍋爐房", "", ""],
        ],
    )
    for kind, data, name in (("signs", signs, "s.xlsx"), ("keys", keys, "k.csv")):
        preview = upload(supervisor, estate, kind, data, name, token)
        assert preview.status_code == 200, reported(preview)
        assert commit(supervisor, estate, kind, preview, token).status_code == 303
        again = upload(supervisor, estate, kind, data, name, token)
        assert "無須匯入" in again.get_data(as_text=True)
    with app.app_context():
        assert count(Sign, estate_id=estate) == signs_before + 2
        assert count(Key, estate_id=estate) == keys_before + 3
        owner = db.session.scalar(sa.select(Key).where(Key.unit_id == unit.id))
        assert (owner.kind, owner.copies, owner.status) == ("security_door", 2, "in")
        assert count(LabelCode, item_type="key", item_id=owner.id, active=True) == 1

    bad_keys = csv_bytes(
        ["類別", "棟", "單元", "房號", "種類", "設備房"],
        [
            ["業主鑰匙", "99棟", "1", "101", "防盜鐵門", ""],
            ["萬能鑰匙", "", "", "", "", ""],
            ["設施設備房鑰匙", "", "", "", "", ""],
        ],
    )
    response = upload(supervisor, estate, "keys", bad_keys, "bad.csv", token)
    assert [(row, column) for row, column, _ in reported(response)] == [
        (2, "房號"),
        (3, "類別"),
        (4, "設備房"),
    ]


def test_a_preview_token_works_only_for_its_own_estate_and_kind(app, supervisor, seed, token):
    """Can a preview be committed as another kind, or replayed after it was used? (No.)"""
    estate = seed.estate_ids[0]
    preview = upload(supervisor, estate, "units", xlsx(UNIT_HEADERS, unit_rows(3)), "u.xlsx", token)
    wrong_kind = commit(supervisor, estate, "signs", preview, token)
    assert wrong_kind.status_code == 303 and "/import/signs" in wrong_kind.headers["Location"]
    assert commit(supervisor, estate, "units", preview, token).status_code == 303
    replay = commit(supervisor, estate, "units", preview, token)
    assert "/import/units" in replay.headers["Location"]
    with app.app_context():
        assert len(audit_events("registry.import")) == 1


def test_templates_have_the_zh_hant_headers_and_import_back(app, supervisor, seed, token):
    """Does each template carry the zh-Hant headers, and does a filled template import?"""
    estate = seed.estate_ids[0]
    response = supervisor.get(f"/registry/estates/{estate}/import/units/template.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == UNIT_HEADERS
    assert "說明" in workbook.sheetnames
    sheet.append(["41", "1", "3", "301", "空置"])
    filled = io.BytesIO()
    workbook.save(filled)
    preview = upload(supervisor, estate, "units", filled.getvalue(), "t.xlsx", token)
    assert preview.status_code == 200
    csv_template = supervisor.get(f"/registry/estates/{estate}/import/keys/template.csv")
    assert csv_template.data.decode("utf-8-sig").startswith("類別,棟,單元,房號,樓層,種類")
    assert supervisor.get(f"/registry/estates/{estate}/import/bogus").status_code == 404
    assert (
        supervisor.get(f"/registry/estates/{estate}/import/units/template.pdf").status_code == 404
    )


def test_a_clash_at_write_time_writes_nothing_and_says_so(
    app, supervisor, seed, token, monkeypatch
):
    """If another writer adds one of the file's units between the commit's check and its write,
    is the whole import rolled back with a clear message (not a 500)?"""
    estate = seed.estate_ids[0]
    data = xlsx(UNIT_HEADERS, unit_rows(10))
    preview = upload(supervisor, estate, "units", data, "u.xlsx", token)
    with app.app_context():
        stale = importer.plan_file(
            db.session, db.session.get(Estate, estate), "units", "u.xlsx", data
        )
        building = Building(estate_id=estate, name="11棟", floors=5)
        db.session.add(building)
        db.session.flush()
        db.session.add(
            Unit(estate_id=estate, building_id=building.id, entrance="1", floor=1, room="101")
        )
        db.session.commit()
        before = count(Unit, estate_id=estate)
    # The commit's own check sees the registry as it was before the other writer.
    monkeypatch.setitem(importer.PLANNERS, "units", lambda session, estate, sheet: stale)
    response = commit(supervisor, estate, "units", preview, token)
    assert response.status_code == 409
    assert "未寫入任何資料" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Unit, estate_id=estate) == before
        assert audit_events("registry.import") == []


def test_a_preview_waits_in_the_blob_store_and_old_ones_are_swept(app, supervisor, seed, token):
    """Is a previewed file kept in the blob store (where any instance's commit finds it, not
    a folder of one machine's), gone once committed, and a preview from two days ago swept
    by the next upload while yesterday's stays?"""
    store = blobs.from_config(app.config)
    store.put("registry-imports/20000101/" + "a" * 32 + ".upload", b"old")
    yesterday = f"{datetime.now(UTC) - timedelta(days=1):%Y%m%d}"
    store.put(f"registry-imports/{yesterday}/{'b' * 32}.upload", b"recent")
    estate = seed.estate_ids[0]
    preview = upload(supervisor, estate, "units", xlsx(UNIT_HEADERS, unit_rows(3)), "a.xlsx", token)
    mine = f"registry-imports/{datetime.now(UTC):%Y%m%d}/{TOKEN_RE.search(preview.text)[1]}.upload"
    staged = set(store.iter_keys("registry-imports"))
    assert mine in staged and f"registry-imports/{yesterday}/{'b' * 32}.upload" in staged
    assert not any("/20000101/" in key for key in staged)
    assert not (Path(app.instance_path) / "registry-imports").exists()
    assert commit(supervisor, estate, "units", preview, token).status_code == 303
    assert mine not in set(store.iter_keys("registry-imports"))
