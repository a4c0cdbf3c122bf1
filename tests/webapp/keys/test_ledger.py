"""The loan record 《房屋鑰匙管理記錄表》: a line per loan with the paper form's columns, every
movement in pages, filters, the CSV (streamed) and XLSX exports, estates kept apart."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from openpyxl import load_workbook

from tests.sync.conftest import lend_op, return_op
from tests.webapp.keys.conftest import chain_intact, key_of, key_tags, op, push_one
from webapp.extensions import db
from webapp.keys.ledger import HEADERS, PAGE
from webapp.models.sync import KeyEvent
from webapp.models.types import utcnow

BASE = "http://127.0.0.1:5000"


def _rows(response) -> list[list[str]]:
    text = b"".join(response.response).decode("utf-8") if response.is_streamed else response.text
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _desk_post(client, auth, path, **data):
    data["csrf_token"] = auth.csrf("/keys/desk")
    return client.post(path, data=data)


def test_a_loan_is_one_line_with_the_paper_forms_columns(app, client, auth, seed):
    """Is a lend at the desk and its return one line: key, borrower, purpose, time out, due
    back, time back, who handed it out and who took it back (經手人), and for an
    equipment-room key who approved it?"""
    estate = seed.estate_ids[0]
    ((room, room_short),) = key_tags(app, estate, "equipment_room")
    auth.login("engineer")
    assert _desk_post(client, auth, "/keys/approve", codes=room_short).status_code == 303
    auth.logout()
    auth.login("desk")
    lent = _desk_post(
        client, auth, "/keys/lend", codes=f"{BASE}/q/{room}", borrower_name="陳師傅",
        borrower_type="contractor", purpose="水泵檢修", due_back="2031-01-01T18:00",
    )  # fmt: skip
    assert lent.status_code == 303
    auth.logout()
    auth.login("supervisor")
    assert _desk_post(client, auth, "/keys/return", codes=room).status_code == 303
    page = client.get(f"/keys/ledger?key={room}").get_data(as_text=True)
    for heading in ("借用人", "用途", "借出時間", "應還時間", "歸還時間", "經手人", "批准人"):
        assert f"<th>{heading}</th>" in page
    (line,) = [r for r in page.split("<tr class=")[1:] if "keys-line-" in r]
    assert "陳師傅" in line and "水泵檢修" in line and "2031-01-01 18:00" in line
    assert "張美玲" in line and "林淑芬" in line  # handed out by the desk, back to the supervisor
    assert "黃建國" in line  # engineering approved it
    assert "未歸還" not in line
    rows = _rows(client.get(f"/keys/ledger.csv?key={room_short}"))
    assert rows[0] == HEADERS
    (row,) = rows[1:]
    line = dict(zip(HEADERS, row, strict=True))
    assert (line["借用人"], line["用途"], line["借出經手人"], line["歸還經手人"]) == (
        "陳師傅",
        "水泵檢修",
        "張美玲",
        "林淑芬",
    )
    assert line["批准人"] == "黃建國" and line["歸還時間"] and line["借出時間"]
    assert line["類別"] == "設施設備房鑰匙" and line["記錄"] == "借出"
    assert chain_intact(app)


def _history(app, make_phone, code, n, start):
    """``n`` loans of one key pushed from a phone, a day apart, the borrower numbered."""
    phone = make_phone("desk", "d")
    ops = []
    for i in range(n):
        at = start + timedelta(days=i)
        ops.append(lend_op(code, at, name=f"借用人{i:02d}"))
        ops.append(return_op(code, at + timedelta(hours=2)))
    for chunk in range(0, len(ops), 40):
        response = phone.push(ops[chunk : chunk + 40])
        assert {r["status"] for r in response.get_json()["results"]} == {"applied"}


def test_every_movement_is_listed_in_pages(app, client, auth, make_phone, seed):
    """Are all loans listed (not the latest 12), a page at a time, newest first, with a count —
    the whole record and a key's alike — and all of them in the CSV?"""
    ((code, _s),) = key_tags(app, seed.estate_ids[0], "public_area")
    start = (utcnow() - timedelta(days=PAGE + 5)).replace(hour=1, minute=0, second=0)
    _history(app, make_phone, code, PAGE + 5, start)
    auth.login("desk")
    first = client.get(f"/keys/ledger?key={code}").get_data(as_text=True)
    assert f"共 {PAGE + 5} 筆" in first
    assert first.count('class="keys-line keys-line-lend') == PAGE
    assert f"借用人{PAGE + 4:02d}" in first and "借用人04" not in first
    second = client.get(f"/keys/ledger?key={code}&page=2").get_data(as_text=True)
    assert second.count('class="keys-line keys-line-lend') == 5
    assert "借用人00" in second and "借用人04" in second
    with app.app_context():
        loans = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(KeyEvent)
            .where(
                KeyEvent.estate_id == seed.estate_ids[0],
                sa.or_(KeyEvent.action != "return", KeyEvent.pair_id.is_(None)),
            )
        )
    assert loans > PAGE + 5  # the seed's patrol history lent keys too
    assert f"共 {loans} 筆" in client.get("/keys/ledger").get_data(as_text=True)
    last = (loans - 1) // PAGE + 1
    tail = client.get(f"/keys/ledger?page={last}").get_data(as_text=True)
    assert tail.count('class="keys-line ') == loans - (last - 1) * PAGE
    assert len(_rows(client.get("/keys/ledger.csv"))) == loans + 1


def test_the_record_is_filtered_by_days_key_and_borrower(app, client, auth, make_phone, seed):
    """Do the filters narrow the lines: a range of days, a key by its scanned tag (URL or short
    code) or its name, a borrower's name — and the export follow them?"""
    estate = seed.estate_ids[0]
    (a, a_short), (b, _b) = key_tags(app, estate, "public_area", 2)
    start = datetime(2026, 10, 1, 1, tzinfo=UTC)
    _history(app, make_phone, a, 5, start)  # 10-01 … 10-05, 借用人00 … 借用人04
    phone = make_phone("desk", "d2")
    push_one(phone, lend_op(b, start + timedelta(days=2, hours=3), name="另一位"))
    auth.login("desk")

    def lines(query):
        page = client.get(f"/keys/ledger?{query}").get_data(as_text=True)
        return page.count('class="keys-line ')

    assert lines("start=2026-10-01&end=2026-10-05") == 6  # long before the seed's history
    assert lines("start=2026-10-02&end=2026-10-03") == 3
    assert lines(f"key={BASE}/Q/{a}") == 5
    assert lines(f"key={a_short[:4]}-{a_short[4:]}") == 5
    assert lines("borrower=另一位") == 1
    assert lines("borrower=借用人0&start=2026-10-04") == 2
    room = key_of(app, b)
    with app.app_context():
        from webapp.models import Key

        name = db.session.get(Key, room.id).name
    if name:
        assert lines(f"key={name}") >= 1
    rows = _rows(client.get("/keys/ledger.csv?borrower=另一位&start=2026-10-01"))
    assert [r[HEADERS.index("借用人")] for r in rows[1:]] == ["另一位"]


def test_the_exports_escape_formulas_and_keep_estates_apart(app, client, auth, make_phone, seed):
    """Is a borrower named like a formula made inert in the CSV and XLSX, is another estate's
    loan in neither, and is an overdue loan marked (and filled red in the XLSX)?"""
    mine, theirs = seed.estate_ids
    ((code, _s),) = key_tags(app, mine, "public_area")
    ((other, _o),) = key_tags(app, theirs, "public_area")
    body = lend_op(code, utcnow() - timedelta(hours=5), name='=HYPERLINK("http://x")')
    body["payload"]["due_back"] = (utcnow() - timedelta(hours=1)).isoformat()
    push_one(make_phone("desk", "d"), body)
    push_one(make_phone("patrol2", "p2"), lend_op(other, utcnow(), name="第二苑的人"))
    with app.app_context():
        from webapp.models import Estate, Key, LabelCode

        item = db.session.scalar(sa.select(LabelCode.item_id).where(LabelCode.code == code))
        label = db.session.get(Key, item).label
        estate_name = db.session.get(Estate, mine).name
    auth.login("desk")
    response = client.get("/keys/ledger.csv")
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _rows(response)
    (row,) = [r for r in rows[1:] if r[HEADERS.index("鑰匙")] == label]
    assert row[HEADERS.index("借用人")] == '\'=HYPERLINK("http://x")'
    assert row[HEADERS.index("逾期")] == "是"
    assert all("第二苑的人" not in cell for r in rows for cell in r)
    assert {r[HEADERS.index("小區")] for r in rows[1:]} == {estate_name}
    sheet = load_workbook(io.BytesIO(client.get(f"/keys/ledger.xlsx?key={code}").data)).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0] == HEADERS
    assert [v[HEADERS.index("借用人")] for v in values[1:]] == ['\'=HYPERLINK("http://x")']
    assert sheet.cell(row=2, column=1).fill.fgColor.rgb.endswith("FDE2E1")
    whole = load_workbook(io.BytesIO(client.get("/keys/ledger.xlsx").data)).active
    assert whole.max_row == len(rows)
    assert "第二苑的人" not in client.get("/keys/ledger").get_data(as_text=True)


def test_the_organisation_admin_downloads_the_streamed_record(app, client, auth, seed):
    """Did the CSV of the organisation admin (who sees every estate) break off in its first
    chunk? The stream runs after its request's session has closed, and reading every
    estate's id for a user of no session raised AttributeError: a 200 with a cut body."""
    auth.login("hq")
    response = client.get("/keys/ledger.csv")
    assert response.status_code == 200 and response.is_streamed
    rows = _rows(response)
    with app.app_context():
        from webapp.models import Estate

        names = set(db.session.scalars(sa.select(Estate.name)))
    assert rows[0] == HEADERS and {r[HEADERS.index("小區")] for r in rows[1:]} == names


def test_a_filter_no_calendar_holds_is_a_400_naming_it(app, client, auth, seed):
    """Is a day no calendar holds (or past 2999), a negative page or a word for an estate
    refused with a 400 naming the argument and what was sent, in the page and the export —
    never a 500, and never the whole record as if the filter were not there (as it was)?"""
    auth.login("desk")
    for query, name, sent in (
        ("start=2026-02-30", "start", "2026-02-30"),
        ("end=99999-01-01", "end", "99999-01-01"),
        ("start=2026-13-01&end=0000-00-00", "start", "2026-13-01"),
        ("start=１２&end=-1", "start", "１２"),
        ("page=-3", "page", "-3"),
        ("estate=x", "estate", "x"),
    ):
        for path in ("/keys/ledger", "/keys/ledger.csv"):
            response = client.get(f"{path}?{query}")
            assert response.status_code == 400, (path, query)
            assert f"{name}：「{sent}」" in response.get_data(as_text=True), (path, query)
    # Sent empty, a filter is not sent (the form's "all").
    assert client.get("/keys/ledger?start=&end=&estate=&page=").status_code == 200


def test_a_return_that_ends_no_loan_is_a_line_of_its_own(app, client, auth, make_phone, seed):
    """Is a return of a key already in the cabinet (it does not fit) kept as its own line, and a
    resolution too, so that no movement is missing from the record?"""
    phone = make_phone("patrol", "p")
    ((code, _s),) = key_tags(app, seed.estate_ids[0], "public_area")
    push_one(phone, return_op(code, utcnow() - timedelta(hours=1)))
    key = key_of(app, code)
    assert key.status == "disputed"
    auth.login("supervisor")
    token = auth.csrf("/keys/disputes")
    data = {"csrf_token": token, "status": "in", "note": "櫃中有這把鑰匙"}
    assert client.post(f"/keys/{key.id}/resolve", data=data).status_code == 303
    page = client.get(f"/keys/ledger?key={code}").get_data(as_text=True)
    assert "keys-line-return" in page and "keys-line-settle" in page
    with app.app_context():
        count = sa.select(sa.func.count()).select_from(KeyEvent)
        assert db.session.scalar(count.where(KeyEvent.key_id == key.id)) == 2
    rows = _rows(client.get(f"/keys/ledger.csv?key={code}"))
    assert sorted(r[HEADERS.index("記錄")] for r in rows[1:]) == ["歸還", "爭議處理：在櫃"]


def test_an_issue_to_an_owner_and_its_return_are_one_line(app, client, auth, make_phone, seed):
    """Is an owner key issued at move-in and handed back later one line of the record?"""
    phone = make_phone("desk", "d")
    ((code, _s),) = key_tags(app, seed.estate_ids[0], "owner")
    push_one(phone, op("key.issue", utcnow() - timedelta(days=3), code=code, owner_name="業主林"))
    push_one(phone, return_op(code, utcnow() - timedelta(days=1)))
    auth.login("desk")
    rows = _rows(client.get(f"/keys/ledger.csv?key={code}"))
    (row,) = rows[1:]
    assert row[HEADERS.index("借用人")] == "業主林" and row[HEADERS.index("歸還時間")]
