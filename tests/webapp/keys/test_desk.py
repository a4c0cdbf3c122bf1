"""The key desk's forms: baskets of scanned label URLs, long codes and short codes; an out key
refused online with nothing stored (a phone's op is stored, as a conflict); the defaults a lend
gets; a dispute's overdue flag and its resolution's holder type."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.sync.conftest import T0, lend_op
from tests.webapp.keys.conftest import (
    chain_intact,
    fail_nth,
    key_codes,
    key_of,
    key_tags,
    op,
    push_one,
    row_counts,
)
from webapp.codes import read_entry, split_entries
from webapp.extensions import db
from webapp.labels.codes import check_character
from webapp.models import LabelCode
from webapp.models.keys import KeyApproval
from webapp.models.sync import KeyEvent
from webapp.models.types import utcnow

BASE = "http://127.0.0.1:5000"  # PUBLIC_BASE_URL of the tests' app: what labels print
TAIPEI = ZoneInfo("Asia/Taipei")  # the demo estates' timezone
DUE = "2031-01-01T18:00"


def _lend(client, auth, entries, name="陳師傅", kind="contractor", purpose="維修", due=DUE):
    return client.post(
        "/keys/lend",
        data={
            "csrf_token": auth.csrf("/keys/desk"),
            "codes": "\n".join(entries),
            "borrower_name": name,
            "borrower_type": kind,
            "purpose": purpose,
            "due_back": due,
        },
    )


def _events(app, code) -> list[KeyEvent]:
    key = key_of(app, code)
    with app.app_context():
        events = list(
            db.session.scalars(
                sa.select(KeyEvent).where(KeyEvent.key_id == key.id).order_by(KeyEvent.seq)
            )
        )
        for e in events:
            db.session.expunge(e)
        return events


def _label(app, code) -> str:
    with app.app_context():
        item = db.session.scalar(sa.select(LabelCode.item_id).where(LabelCode.code == code))
        from webapp.models import Key

        return db.session.get(Key, item).label


def _wrong_check(short: str) -> str:
    """The short code with another check character (a typo the check character catches)."""
    others = [c for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ" if c != short[-1]]
    wrong = short[:-1] + others[0]
    assert check_character(wrong[:-1]) != wrong[-1]
    return wrong


# ------------------------------------------------------------------ reading what is scanned

READS = [
    # text, code read, short
    ("http://127.0.0.1:5000/q/abcd1234efgh5678", "ABCD1234EFGH5678", False),
    ("HTTPS://ROUNDS.EXAMPLE.COM/Q/ABCD1234EFGH5678", "ABCD1234EFGH5678", False),
    ("https://rounds.example.com/Q/ABCD1234EFGH5678/", "ABCD1234EFGH5678", False),
    ("/q/ABCD1234EFGH5678", "ABCD1234EFGH5678", False),
    ("ｈｔｔｐｓ：／／ｒｏｕｎｄｓ／Ｑ／ＡＢＣＤ1234ＥＦＧＨ5678", "ABCD1234EFGH5678", False),
    ("abcd1234efgh5678", "ABCD1234EFGH5678", False),
    ("G52F-SHSG", "G52FSHSG", True),
    ("g52f shsg", "G52FSHSG", True),
    ("g52fshsg", "G52FSHSG", True),
]


@pytest.mark.parametrize(("text", "code", "short"), READS)
def test_an_entry_is_read_as_a_label_gives_it(text, code, short):
    """Is a scanned URL (/q/ or /Q/, any case, full-width), a long code or a short code (any
    case, with or without its hyphen) read as the code it carries?"""
    entry = read_entry(text)
    assert (entry.code, entry.short, entry.unread) == (code, short, False)


@pytest.mark.parametrize(
    "text", ["ftp://x/q/ABCD1234EFGH5678", "https://x/r/ABCD1234EFGH5678", "門禁卡", "123456789"]
)
def test_what_is_no_code_is_unread(text):
    """Is a foreign scheme, a URL that is no label's, or text that is no code left unread?"""
    assert read_entry(text).unread


def test_a_basket_is_split_by_lines_and_urls():
    """Are a scanner's lines (Enter or tab after each) and two URLs on one line each an entry,
    while a code typed in groups stays one?"""
    text = f"{BASE}/q/A {BASE}/q/B\r\nG52F SHSG\tX1,Y2；Z3\n\n"
    assert split_entries(text) == [f"{BASE}/q/A", f"{BASE}/q/B", "G52F SHSG", "X1", "Y2", "Z3"]


# ------------------------------------------------------------------ lending at the desk


@pytest.mark.parametrize("form", ["url", "upper_url", "short_hyphen", "short_lower", "long"])
def test_the_desk_lends_a_key_by_whatever_its_label_gives(app, client, auth, seed, form):
    """Does the desk's lend form take the label's URL (a USB scanner types it), the upper-case
    /Q/ URL, the short code under the QR with or without its hyphen in any case, or the long
    code — and lend that key?"""
    ((code, short),) = key_tags(app, seed.estate_ids[0], "public_area")
    entry = {
        "url": f"{BASE}/q/{code}",
        "upper_url": f"HTTPS://ROUNDS.EXAMPLE.COM/Q/{code.upper()}",
        "short_hyphen": f"{short[:4]}-{short[4:]}",
        "short_lower": short.lower(),
        "long": code.lower(),
    }[form]
    auth.login("desk")
    response = _lend(client, auth, [entry], name="李師傅")
    assert response.status_code == 303, response.get_data(as_text=True)
    key = key_of(app, code)
    assert (key.status, key.holder_name) == ("out", "李師傅")
    assert chain_intact(app)


def test_a_short_code_with_a_wrong_check_character_is_refused(app, client, auth, seed):
    """Is a short code whose check character does not match refused, the entry named, nothing
    stored?"""
    ((code, short),) = key_tags(app, seed.estate_ids[0], "public_area")
    wrong = _wrong_check(short)
    auth.login("desk")
    before = row_counts(app)
    response = _lend(client, auth, [wrong])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"「{wrong}」" in page and "檢查碼" in page
    assert row_counts(app) == before
    assert key_of(app, code).status == "in"


def test_a_basket_of_three_is_lent_together(app, client, auth, seed):
    """Are three keys scanned into one basket (URL, short code, long code) all lent to the one
    borrower, one event each, and the chain intact?"""
    (a, a_short), (b, b_short) = key_tags(app, seed.estate_ids[0], "public_area", 2)
    ((c, _c_short),) = key_tags(app, seed.estate_ids[0], "owner")
    auth.login("desk")
    before = row_counts(app)
    response = _lend(client, auth, [f"{BASE}/q/{a}", b_short, c], name="王師傅")
    assert response.status_code == 303
    for code in (a, b, c):
        assert (key_of(app, code).status, key_of(app, code).holder_name) == ("out", "王師傅")
        assert [e.action for e in _events(app, code)] == ["lend"]
    after = row_counts(app)
    assert after["key_event"] - before["key_event"] == 3
    assert after["sync_op"] - before["sync_op"] == 3
    page = client.get("/keys/desk").get_data(as_text=True)
    assert "已借出" in page
    assert chain_intact(app)


def test_a_code_of_another_estate_is_not_in_yours(app, client, auth, seed):
    """Is a key tag of another estate (URL or short code) refused as "no key of your estates",
    naming the entry, with nothing of the basket stored?"""
    ((mine, _m),) = key_tags(app, seed.estate_ids[0], "public_area")
    ((theirs, theirs_short),) = key_tags(app, seed.estate_ids[1], "public_area")
    auth.login("desk")
    before = row_counts(app)
    response = _lend(client, auth, [mine, f"{BASE}/q/{theirs}", theirs_short])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"「{BASE}/q/{theirs}」：您負責的小區沒有這個代碼的鑰匙" in page
    assert f"「{theirs_short}」：您負責的小區沒有這個代碼的鑰匙" in page
    assert row_counts(app) == before
    assert key_of(app, mine).status == "in"


def test_a_unit_label_or_text_that_is_no_code_is_named(app, client, auth, seed):
    """Is a unit's label (not a key's) and text that is no code each named in the errors?"""
    with app.app_context():
        unit_code = db.session.scalar(
            sa.select(LabelCode.code).where(
                LabelCode.item_type == "unit", LabelCode.estate_id == seed.estate_ids[0]
            )
        )
    auth.login("desk")
    response = _lend(client, auth, [f"{BASE}/q/{unit_code}", "門禁卡"])
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "是房屋的標籤，不是鑰匙牌" in page
    assert "「門禁卡」不是鑰匙牌" in page


def test_an_empty_basket_is_refused(app, client, auth, seed):
    """Is a lend with no key tag at all refused with a word for it?"""
    auth.login("desk")
    response = _lend(client, auth, [])
    assert response.status_code == 422
    assert "請掃描或輸入至少一個鑰匙牌" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("due_back", "2031-13-45T10:00", "不是有效的日期時間"),
        ("due_back", "99999-01-01T00:00", "不是有效的日期時間"),
        ("due_back", "0001-01-01T00:00", "不是有效的日期時間"),
        ("due_back", "tomorrow", "不是有效的日期時間"),
        ("borrower_type", "99999999999999999999", "請選擇借用人類型"),
        ("borrower_name", "   ", "請填寫借用人"),
        ("codes", "門禁卡\n" * 51, "最多"),
    ],
)
def test_a_malformed_lend_is_refused_with_a_message(app, client, auth, seed, field, value, says):
    """Is a due back no calendar holds (or past the year 2999, or no date), a borrower type
    off the list, a blank borrower or a pasted page of text a 422 that says what is wrong —
    never a 500, the key still in and nothing stored?"""
    ((code, _short),) = key_tags(app, seed.estate_ids[0], "public_area")
    auth.login("desk")
    before = row_counts(app)
    data = {
        "csrf_token": auth.csrf("/keys/desk"),
        "codes": code,
        "borrower_name": "陳師傅",
        "borrower_type": "contractor",
        "purpose": "維修",
        "due_back": DUE,
        field: value,
    }
    response = client.post("/keys/lend", data=data)
    assert response.status_code == 422
    assert says in response.get_data(as_text=True)
    assert row_counts(app) == before
    assert key_of(app, code).status == "in"


# ------------------------------------------------------------------ one action, whole

# What the desk is told when one key's op fails inside the merge, after its checks passed.
NOT_RECORDED = {
    "rejected": "{key} 未能記錄，這一籃鑰匙都沒有記錄",
    "conflict": "{key}：與鑰匙的記錄不符（前臺記錄時鑰匙的記錄有變動），這一籃鑰匙都沒有記錄",
    "fault": "{key} 未能記錄（系統出錯",
}


@pytest.mark.parametrize("how", ["rejected", "conflict", "fault"])
def test_a_lend_the_merge_refuses_for_one_key_records_none(
    app, client, auth, seed, monkeypatch, how
):
    """When the merge refuses the second key of a basket of three (a refusal raised in its
    handler, a conflict, or a fault) after the desk's checks passed, is nothing of the lend
    kept — no event, op, quarantine or audit row, every key still in, the chain whole — and is
    the form shown again as entered, the key that failed named beside it?"""
    (a, _a), (b, _b), (c, _c) = key_tags(app, seed.estate_ids[0], "public_area", 3)
    fail_nth(monkeypatch, "key.lend", 2, how)
    auth.login("desk")
    before = row_counts(app)
    response = _lend(client, auth, [a, b, c], name="王師傅", purpose="查看天台")
    page = response.get_data(as_text=True)
    assert response.status_code == (500 if how == "fault" else 422), page
    assert NOT_RECORDED[how].format(key=_label(app, b)) in page
    assert 'value="王師傅"' in page and 'value="查看天台"' in page and f"{a}\n{b}\n{c}" in page
    assert row_counts(app) == before
    assert {key_of(app, code).status for code in (a, b, c)} == {"in"}
    assert chain_intact(app)


@pytest.mark.parametrize("how", ["rejected", "fault"])
def test_a_return_the_merge_refuses_for_one_key_records_none(
    app, client, auth, seed, monkeypatch, how
):
    """Is a return of two keys whose second op the merge refuses (or fails on) kept whole too:
    both keys still out, nothing new stored, the key named? (A return that does not fit the
    key's record is still recorded, a conflict: the key is in the desk's hand.)"""
    (a, a_short), (b, b_short) = key_tags(app, seed.estate_ids[0], "public_area", 2)
    auth.login("desk")
    assert _lend(client, auth, [a, b]).status_code == 303
    fail_nth(monkeypatch, "key.return", 2, how)
    before = row_counts(app)
    data = {"csrf_token": auth.csrf("/keys/desk"), "codes": f"{a_short}\n{b_short}"}
    response = client.post("/keys/return", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == (500 if how == "fault" else 422), page
    assert NOT_RECORDED[how].format(key=_label(app, b)) in page
    assert f"{a_short}\n{b_short}" in page
    assert row_counts(app) == before
    assert {key_of(app, a).status, key_of(app, b).status} == {"out"}
    assert chain_intact(app)


def test_a_return_that_does_not_fit_is_still_recorded(app, client, auth, seed, monkeypatch):
    """Is a return the merge answers conflict (its key is disputed) recorded with the others,
    and said so — the key is in the desk's hand, the record must not lose it?"""
    (a, _a), (b, _b) = key_tags(app, seed.estate_ids[0], "public_area", 2)
    auth.login("desk")
    assert _lend(client, auth, [a, b]).status_code == 303
    fail_nth(monkeypatch, "key.return", 2, "conflict")
    before = row_counts(app)
    data = {"csrf_token": auth.csrf("/keys/desk"), "codes": f"{a}\n{b}"}
    response = client.post("/keys/return", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "已記錄，但與這把鑰匙的記錄矛盾" in response.get_data(as_text=True)
    assert row_counts(app)["key_event"] == before["key_event"] + 2
    assert key_of(app, a).status == "in"


@pytest.mark.parametrize("how", ["rejected", "fault"])
def test_an_approval_the_merge_refuses_for_one_key_records_none(
    app, client, auth, seed, monkeypatch, how
):
    """Is engineering's approval of two equipment-room keys whose second op the merge refuses
    kept whole: no approval stored, the key named?"""
    (a, _a), (b, _b) = key_tags(app, seed.estate_ids[0], "equipment_room", 2)
    fail_nth(monkeypatch, "key.approve", 2, how)
    auth.login("engineer")
    before = row_counts(app)
    data = {"csrf_token": auth.csrf("/keys/desk"), "codes": f"{a}\n{b}", "note": "換燈"}
    response = client.post("/keys/approve", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == (500 if how == "fault" else 422), page
    assert NOT_RECORDED[how].format(key=_label(app, b)) in page
    assert 'value="換燈"' in page
    assert row_counts(app) == before


# ------------------------------------------------------------------ a key that is out


def test_a_key_that_is_out_is_refused_at_the_desk_but_stored_from_a_phone(
    app, client, auth, make_phone, seed
):
    """Online, is lending a key that is out refused at the desk ("out with 甲 since 10:12 —
    return it first", in zh-Hant and en) with no row written anywhere, while the same lend sent
    as an op from a phone is stored and answered conflict?"""
    patrol = make_phone("patrol", "p")
    ((code, short),) = key_tags(app, seed.estate_ids[0], "public_area")
    lent_at = (utcnow() - timedelta(minutes=30)).replace(second=0, microsecond=0)
    assert push_one(patrol, lend_op(code, lent_at, name="甲"))["status"] == "applied"
    since = lent_at.astimezone(TAIPEI).strftime("%H:%M")
    if lent_at.astimezone(TAIPEI).date() != utcnow().astimezone(TAIPEI).date():
        since = lent_at.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M")
    label = _label(app, code)
    auth.login("desk")
    before = row_counts(app)
    response = _lend(client, auth, [f"{BASE}/q/{code}"], name="乙")
    assert response.status_code == 422
    assert f"{label} 已於 {since} 借給 甲，請先歸還。" in response.get_data(as_text=True)
    english = client.post(
        "/keys/lend",
        data={
            "csrf_token": auth.csrf("/keys/desk"),
            "codes": short,
            "borrower_name": "乙",
            "borrower_type": "staff",
            "purpose": "x",
            "due_back": DUE,
        },  # fmt: skip
        headers={"Accept-Language": "en"},
    )
    assert f"{label} is out with 甲 since {since} — return it first." in english.get_data(
        as_text=True
    ).replace("&#39;", "'")
    assert row_counts(app) == before
    assert (key_of(app, code).status, key_of(app, code).holder_name) == ("out", "甲")

    desk_phone = make_phone("desk", "d")
    assert push_one(desk_phone, lend_op(code, utcnow(), name="乙"))["status"] == "conflict"
    assert row_counts(app)["key_event"] == before["key_event"] + 1
    assert key_of(app, code).status == "disputed"
    assert chain_intact(app)


def test_one_out_key_refuses_the_whole_basket(app, client, auth, make_phone, seed):
    """Is a basket with one key out refused whole: the keys in the cabinet stay in, nothing is
    stored, and the page names the key that is out?"""
    (out, _o), (free, _f) = key_tags(app, seed.estate_ids[0], "public_area", 2)
    push_one(make_phone("patrol", "p"), lend_op(out, utcnow() - timedelta(hours=1), name="甲"))
    auth.login("desk")
    before = row_counts(app)
    response = _lend(client, auth, [free, out])
    assert response.status_code == 422
    assert "請先歸還" in response.get_data(as_text=True)
    assert row_counts(app) == before
    assert key_of(app, free).status == "in"


def test_an_issued_or_disputed_key_is_not_lent_at_the_desk(app, client, auth, make_phone, seed):
    """Is a key issued to its owner, or a disputed one, refused at the desk with why?"""
    phone = make_phone("patrol", "p")
    ((owner_key, _s),) = key_tags(app, seed.estate_ids[0], "owner")
    ((disputed, _d),) = key_tags(app, seed.estate_ids[0], "public_area")
    push_one(phone, op("key.issue", T0, code=owner_key, owner_name="業主林"))
    push_one(phone, lend_op(disputed, T0, name="甲"))
    push_one(phone, lend_op(disputed, T0 + timedelta(minutes=5), name="乙"))
    auth.login("desk")
    page = _lend(client, auth, [owner_key]).get_data(as_text=True)
    assert "交給業主 業主林，不能借出" in page
    page = _lend(client, auth, [disputed]).get_data(as_text=True)
    assert "有爭議，須先由主管處理" in page


# ------------------------------------------------------------------ returns, approvals


def test_a_basket_is_returned_by_short_codes(app, client, auth, seed):
    """Are two lent keys returned together by their short codes (lower case, no hyphen)?"""
    (a, a_short), (b, b_short) = key_tags(app, seed.estate_ids[0], "public_area", 2)
    auth.login("desk")
    assert _lend(client, auth, [a, b]).status_code == 303
    response = client.post(
        "/keys/return",
        data={"csrf_token": auth.csrf("/keys/desk"), "codes": f"{a_short.lower()}\n{b_short}"},
    )
    assert response.status_code == 303
    assert {key_of(app, a).status, key_of(app, b).status} == {"in"}
    assert [e.pair_id is not None for e in _events(app, a)] == [True, True]
    assert chain_intact(app)


def test_engineering_approves_by_short_code_and_the_desk_lends_by_url(app, client, auth, seed):
    """Does engineering's approval by short code let the desk lend the equipment-room key by its
    URL, without the unapproved flag, while a basket naming a public-area key is refused?"""
    ((room, room_short),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    ((public, _p),) = key_tags(app, seed.estate_ids[0], "public_area")
    auth.login("engineer")
    token = auth.csrf("/keys/desk")
    refused = client.post("/keys/approve", data={"csrf_token": token, "codes": public})
    assert refused.status_code == 422
    assert "不是設施設備房鑰匙" in refused.get_data(as_text=True)
    response = client.post(
        "/keys/approve", data={"csrf_token": token, "codes": f"{room_short[:4]}-{room_short[4:]}"}
    )
    assert response.status_code == 303
    auth.logout()
    auth.login("desk")
    assert _lend(client, auth, [f"{BASE}/Q/{room}"]).status_code == 303
    (event,) = _events(app, room)
    assert (event.action, event.unapproved) == ("lend", False)
    with app.app_context():
        assert db.session.scalar(sa.select(KeyApproval.used_by_event_id)) == event.id


def test_the_basket_preview_names_each_key_and_fills_the_defaults(app, client, auth, seed):
    """Does the desk's basket preview (htmx, as the scanner types) list the scanned key with its
    custody, name an entry it cannot read, and fill the purpose and due back of a public-area
    key (巡查, 18:00 estate time) out of band?"""
    ((code, _s),) = key_tags(app, seed.estate_ids[0], "public_area")
    auth.login("desk")
    response = client.get(
        "/keys/desk/basket",
        query_string={"form": "lend", "codes": f"{BASE}/q/{code}\n門禁卡"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _label(app, code) in page and "在櫃" in page
    assert "「門禁卡」不是鑰匙牌" in page
    assert 'id="lend-when" class="keys-form-row" hx-swap-oob="true"' in page
    assert 'name="purpose" ' in page and 'value="巡查"' in page
    assert "T18:00" in page or "T20:00" in page or ":" in page  # a due time is filled
    typed = client.get(
        "/keys/desk/basket",
        query_string={"form": "lend", "codes": code, "purpose": "查看天台", "purpose_auto": "巡查"},
    ).get_data(as_text=True)
    assert 'value="查看天台"' in typed  # what the desk typed stays


# ------------------------------------------------------------------ defaults


def test_a_phones_lend_without_purpose_or_due_back_gets_its_key_class_defaults(
    app, make_phone, seed
):
    """Does a key.lend with an empty purpose and no due back get its key class's defaults on the
    server: a unit key due 18:00 estate time that day, for repair; an equipment-room key due
    four hours after it left, for equipment maintenance; a purpose given kept?"""
    phone = make_phone("desk", "d")
    ((owner, _o),) = key_tags(app, seed.estate_ids[0], "owner")
    ((room, _r),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    ((public, _p),) = key_tags(app, seed.estate_ids[0], "public_area")
    day = utcnow().astimezone(TAIPEI).date() - timedelta(days=1)  # within an offline phone's reach
    at = datetime.combine(day, time(9, 30), TAIPEI).astimezone(UTC)
    for code, purpose in ((owner, ""), (room, ""), (public, "查看天台")):
        body = lend_op(code, at)
        body["payload"]["purpose"] = purpose
        assert push_one(phone, body)["status"] == "applied"
    evening = datetime.combine(day, time(18), TAIPEI)
    (lent,) = _events(app, owner)
    assert (lent.purpose, lent.due_back) == ("repair", evening)
    (lent,) = _events(app, room)
    assert (lent.purpose, lent.due_back) == ("equipment_maintenance", at + timedelta(hours=4))
    (lent,) = _events(app, public)
    assert (lent.purpose, lent.due_back) == ("查看天台", evening)
    late = datetime.combine(day, time(18, 30), TAIPEI).astimezone(UTC)  # two hours after
    another, skewed = key_tags(app, seed.estate_ids[0], "owner", 2)
    body = lend_op(another[0], late)
    body["payload"]["purpose"] = " "
    push_one(phone, body)
    (lent,) = _events(app, another[0])
    assert lent.due_back == late + timedelta(hours=2)
    assert key_of(app, another[0]).due_back == lent.due_back
    # A clock a year behind: the due back counts from when the lend arrived.
    sent = utcnow()
    push_one(phone, lend_op(skewed[0], sent - timedelta(days=365)))
    (lent,) = _events(app, skewed[0])
    assert lent.clock_skewed and lent.due_back >= sent
    assert chain_intact(app)


def test_the_desk_form_fills_purpose_and_due_back_before_it_lends(app, client, auth, seed):
    """Left blank (no scripts to fill them), are purpose and due back filled in from the key's
    class and the form shown again to be checked, nothing lent; and sent as filled, is the
    offered purpose stored as its value and shown in the reader's language?"""
    ((code, _s),) = key_tags(app, seed.estate_ids[0], "owner")
    auth.login("desk")
    before = row_counts(app)
    response = _lend(client, auth, [code], purpose="", due="")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="維修"' in page and "已依這些鑰匙帶入" in page
    assert row_counts(app) == before
    due = page.split('name="due_back" value="', 1)[1].split('"', 1)[0]
    assert len(due) == 16 and due[10] == "T"
    response = _lend(client, auth, [code], purpose="維修", due=due)
    assert response.status_code == 303
    (lent,) = _events(app, code)
    assert lent.purpose == "repair"
    ledger = client.get("/keys/ledger", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Repair" in ledger


# ------------------------------------------------------------------ disputes


def test_a_disputed_key_stays_on_the_overdue_list_while_overdue(
    app, client, auth, make_phone, seed
):
    """When a second lend (from a phone) disputes a key whose first lend is overdue, does the
    key stay overdue — in the register's overdue filter and count, and on the desk's home?"""
    one, two = make_phone("patrol", "one"), make_phone("desk", "two")
    ((code, _s),) = key_tags(app, seed.estate_ids[0], "public_area")
    first = lend_op(code, utcnow() - timedelta(hours=5), name="遲還的甲")
    first["payload"]["due_back"] = (utcnow() - timedelta(hours=1)).isoformat()
    second = lend_op(code, utcnow() - timedelta(hours=2), name="乙")
    second["payload"]["due_back"] = (utcnow() + timedelta(hours=5)).isoformat()
    push_one(one, first)
    assert push_one(two, second)["status"] == "conflict"
    assert key_of(app, code).status == "disputed"
    label = _label(app, code)
    auth.login("desk")
    page = client.get("/keys/?status=overdue").get_data(as_text=True)
    assert label in page and "is-overdue" in page
    from webapp.keys import queries

    with app.app_context():
        from webapp.models import User

        desk = db.session.scalar(sa.select(User).where(User.username == "desk"))
        assert queries.counts(desk)["overdue"] == 1
    assert label in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("status", "sent_type", "kept"),
    [("out", None, "contractor"), ("out", "tenant", "tenant"), ("issued", None, "owner")],
)
def test_resolving_a_dispute_keeps_the_holder_type(
    app, client, auth, make_phone, seed, status, sent_type, kept
):
    """Does a supervisor's resolution keep the holder's type (a contractor stays a contractor,
    not 員工), take the type chosen, and make an owner of an issued key's holder?"""
    one, two = make_phone("patrol", "one"), make_phone("desk", "two")
    key_class = "owner" if status == "issued" else "public_area"
    (code,) = key_codes(app, seed.estate_ids[0], key_class)
    push_one(one, lend_op(code, T0, name="甲", kind="tenant"))
    push_one(two, lend_op(code, T0 + timedelta(minutes=10), name="乙", kind="contractor"))
    key = key_of(app, code)
    assert (key.status, key.holder_type) == ("disputed", "contractor")
    auth.login("supervisor")
    data = {
        "csrf_token": auth.csrf("/keys/disputes"),
        "status": status,
        "holder_name": "乙",
        "note": "監控確認在乙手上",
    }
    if sent_type:
        data["holder_type"] = sent_type
    assert client.post(f"/keys/{key.id}/resolve", data=data).status_code == 303
    key = key_of(app, code)
    assert (key.status, key.holder_name, key.holder_type) == (status, "乙", kept)
    assert chain_intact(app)
