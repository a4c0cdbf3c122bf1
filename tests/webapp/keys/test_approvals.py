"""Engineering's approvals (issue 19 item 5, rule 5.3(2)): the desk asks to lend an equipment-room
key or to copy a key, engineering approves or refuses from its home, the desk lends or registers
the copies; everything in the key's history and the loan record, estates kept apart."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.sync.conftest import T0
from tests.webapp.keys.conftest import chain_intact, key_of, key_tags, op, push_one
from webapp.extensions import db
from webapp.models import Estate, Key, LabelCode, User
from webapp.models.key_requests import KeyCopy, KeyRequest
from webapp.models.keys import KeyApproval
from webapp.models.sync import KeyEvent
from webapp.models.types import utcnow

BASE = "http://127.0.0.1:5000"


def _post(client, auth, path, page="/keys/requests", **data):
    data["csrf_token"] = auth.csrf(page)
    return client.post(path, data=data)


def _ask_loan(client, auth, codes, **extra):
    data = {
        "codes": codes,
        "borrower_name": "陳師傅",
        "borrower_type": "contractor",
        "purpose": "水泵檢修",
        "hours": "3",
        **extra,
    }
    return _post(client, auth, "/keys/requests/loan", **data)


def _requests(app) -> list[KeyRequest]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(KeyRequest).order_by(KeyRequest.id)))
        for r in rows:
            db.session.expunge(r)
        return rows


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _events(app, key_id) -> list[KeyEvent]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(KeyEvent).where(KeyEvent.key_id == key_id)))
        for e in rows:
            db.session.expunge(e)
        return rows


def _history(client, code) -> str:
    return client.get(f"/q/{code}").get_data(as_text=True)


def test_the_desk_asks_engineering_approves_and_the_desk_lends(app, client, auth, seed):
    """Does a loan request typed as the scanner types it (the label's URL) wait in engineering's
    queue with who, why and how long; does engineering's approval from its home let the desk lend
    at once, without the unapproved flag, the approver named in the loan record and the history?"""
    ((room, short),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    auth.login("desk")
    asked = _ask_loan(client, auth, f"{BASE}/q/{room}\n")
    assert asked.status_code == 303, asked.get_data(as_text=True)
    (req,) = _requests(app)
    assert (req.kind, req.status, req.borrower_name, req.hours) == ("loan", "pending", "陳師傅", 3)
    desk_page = client.get("/keys/requests").get_data(as_text=True)
    assert "待工程部批准" in desk_page and "陳師傅" in desk_page
    auth.logout()

    auth.login("engineer")
    home = client.get("/").get_data(as_text=True)
    assert "審批與派工" in home
    label = key_of(app, room).label
    queue = home.split('id="approvals-queue"')[1].split("Recent answers")[0]
    assert label in queue and "陳師傅" in queue and "水泵檢修" in queue and "3 小時" in queue
    assert "張美玲" in queue  # who asked
    assert f'action="/keys/requests/{req.id}/approve"' in queue
    approved = _post(client, auth, f"/keys/requests/{req.id}/approve", page="/")
    assert approved.status_code == 303
    (req,) = _requests(app)
    assert req.status == "approved" and req.approval_id is not None
    assert req.decided_by_id == seed.user_ids["engineer"]
    auth.logout()

    auth.login("desk")
    assert "已批准" in client.get("/keys/requests").get_data(as_text=True)
    lent = _post(client, auth, f"/keys/requests/{req.id}/lend", id_checked="1")
    assert lent.status_code == 303, lent.get_data(as_text=True)
    with app.app_context():
        (event,) = db.session.scalars(sa.select(KeyEvent).where(KeyEvent.key_id == req.key_id))
        assert (event.action, event.unapproved, event.borrower_name) == ("lend", False, "陳師傅")
        assert event.purpose == "水泵檢修" and event.id_checked is True
        assert abs((event.due_back - event.occurred_at) - timedelta(hours=3)) < timedelta(seconds=5)
        approval = db.session.get(KeyApproval, req.approval_id)
        assert approval.used_by_event_id == event.id
    ledger = client.get(f"/keys/ledger?key={short}").get_data(as_text=True)
    (line,) = [r for r in ledger.split("<tr class=")[1:] if "keys-line-" in r]
    assert "黃建國" in line  # the approver column, from the request's approval
    history = _history(client, room)
    assert "借用申請" in history and "黃建國" in history
    assert chain_intact(app)


def test_only_engineering_answers(app, client, auth, seed):
    """Is an approval or refusal posted by the desk, a supervisor or an admin a 403 that says
    only engineering approves, with the request still pending and no approval stored?"""
    ((room, _s),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    auth.login("desk")
    _ask_loan(client, auth, room)
    (req,) = _requests(app)
    for username in ("desk", "supervisor", "admin"):
        auth.logout()
        auth.login(username)
        for action in ("approve", "refuse"):
            response = _post(
                client, auth, f"/keys/requests/{req.id}/{action}", page="/", reason="no"
            )
            assert response.status_code == 403
            assert "只有工程部" in response.get_data(as_text=True)
    assert [r.status for r in _requests(app)] == ["pending"]
    assert _count(app, KeyApproval) == 0


def test_a_refusal_needs_a_reason_and_the_desk_sees_it(app, client, auth, seed):
    """Is a refusal without a reason a 422 that asks for one (still pending), and with one is
    the request refused, the reason shown to the desk and in the key's history, and the key
    still not lendable at the desk?"""
    ((room, _s),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    auth.login("desk")
    _ask_loan(client, auth, room)
    (req,) = _requests(app)
    auth.logout()
    auth.login("engineer")
    blank = _post(client, auth, f"/keys/requests/{req.id}/refuse", page="/", reason="  ")
    assert blank.status_code == 422 and "請寫明不予批准的原因" in blank.get_data(as_text=True)
    assert _requests(app)[0].status == "pending"
    refused = _post(client, auth, f"/keys/requests/{req.id}/refuse", page="/", reason="今日停水")
    assert refused.status_code == 303
    (req,) = _requests(app)
    assert (req.status, req.reason) == ("refused", "今日停水")
    again = _post(client, auth, f"/keys/requests/{req.id}/approve", page="/")
    assert again.status_code == 303 and _requests(app)[0].status == "refused"
    assert _count(app, KeyApproval) == 0
    auth.logout()
    auth.login("desk")
    page = client.get("/keys/requests").get_data(as_text=True)
    assert "不予批准" in page and "今日停水" in page
    assert "不予批准" in _history(client, room) and "今日停水" in _history(client, room)
    lend = _post(client, auth, f"/keys/requests/{req.id}/lend")
    assert lend.status_code == 422
    assert _events(app, req.key_id) == []


def test_requests_are_refused_for_the_wrong_keys_and_twice(app, client, auth, seed):
    """Is a loan request for a public-area key, a code of nothing, or a key already waiting
    refused (422, why beside the key), nothing stored?"""
    ((room, _s),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    ((public, _p),) = key_tags(app, seed.estate_ids[0], "public_area")
    auth.login("desk")
    wrong = _ask_loan(client, auth, public)
    assert wrong.status_code == 422 and "不是設施設備房鑰匙" in wrong.get_data(as_text=True)
    nothing = _ask_loan(client, auth, "門禁卡")
    assert nothing.status_code == 422 and "不是鑰匙牌" in nothing.get_data(as_text=True)
    no_reason = _ask_loan(client, auth, room, purpose="", hours="99")
    assert no_reason.status_code == 422
    assert _count(app, KeyRequest) == 0
    assert _ask_loan(client, auth, room).status_code == 303
    twice = _ask_loan(client, auth, room)
    assert twice.status_code == 422 and "已有申請在等待工程部批准" in twice.get_data(as_text=True)
    assert _count(app, KeyRequest) == 1


def test_an_ask_waits_for_the_keys_it_names_as_a_lend_does(
    database_url, instance_dir, _migrated, seed
):
    """Two asks for the same key at once (a double click, two desk PCs): each checked that no
    request was waiting before either wrote its own, so on PostgreSQL both were stored and
    engineering's queue held the key twice. An ask now reads its basket with the keys' rows
    locked (FOR UPDATE), as the desk's lend does, so the second waits for the first's commit
    and then finds its request. Shown with a transaction that reads the key FOR SHARE, which
    an ask's insert alone (its foreign key's KEY SHARE) passes: the ask waits (here until the
    test's lock_timeout gives up: 503, nothing stored); once it is let go, it asks."""
    from tests.conftest import AuthActions, make_test_app

    if not database_url.startswith("postgres"):
        pytest.skip("SQLite runs one writer at a time: the two asks cannot overlap")
    app = make_test_app(
        database_url, instance_dir,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-c lock_timeout=300"}},
    )  # fmt: skip
    client = app.test_client()
    auth = AuthActions(client)
    ((code, _short),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    holder = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        auth.login("desk")
        with holder.connect() as other:
            key_id = key_of(app, code).id
            other.execute(sa.select(Key.id).where(Key.id == key_id).with_for_update(read=True))
            response = _ask_loan(client, auth, code)
            assert response.status_code == 503
            assert _requests(app) == []
            other.rollback()
        assert _ask_loan(client, auth, code).status_code == 303
        assert [r.key_id for r in _requests(app)] == [key_id]
    finally:
        holder.dispose()


def test_an_approval_from_a_phone_answers_the_request(app, client, auth, seed, make_phone):
    """Does a key.approve from engineering's phone (offline, synced later) answer the desk's
    waiting loan request, so the desk may lend with the phone's approval?"""
    ((room, _s),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    auth.login("desk")
    _ask_loan(client, auth, room)
    phone = make_phone("engineer", "eng")
    result = push_one(phone, op("key.approve", utcnow() - timedelta(minutes=5), code=room))
    assert result["status"] == "applied"
    (req,) = _requests(app)
    assert req.status == "approved" and req.decided_by_id == seed.user_ids["engineer"]
    assert _post(client, auth, f"/keys/requests/{req.id}/lend").status_code == 303
    (event,) = _events(app, req.key_id)
    assert event.unapproved is False
    assert chain_intact(app)


def test_an_approved_loan_expires_after_twelve_hours(app, client, auth, seed, make_phone):
    """Is an approval given 13 hours ago shown expired, and its lend refused (ask again)?"""
    ((room, _s),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    auth.login("desk")
    _ask_loan(client, auth, room)
    phone = make_phone("engineer", "eng")
    push_one(phone, op("key.approve", utcnow() - timedelta(hours=13), code=room))
    (req,) = _requests(app)
    assert "已過期" in client.get(f"/keys/requests/{req.id}").get_data(as_text=True)
    assert _post(client, auth, f"/keys/requests/{req.id}/lend").status_code == 422
    assert _events(app, req.key_id) == []
    assert _ask_loan(client, auth, room).status_code == 303  # the desk may ask again


def test_a_copy_needs_approval_then_the_new_keys_are_registered(app, client, auth, seed):
    """Is a copy refused before engineering approves; once approved are the new keys registered
    (same unit and kind, own label codes, linked to the source and the request), no more than
    approved, and do the source's and the copies' histories say so?"""
    ((code, short),) = key_tags(app, seed.estate_ids[0], "owner")
    source = key_of(app, code)
    auth.login("desk")
    asked = _post(client, auth, "/keys/requests/copy", codes=short, copies="2", purpose="業主遺失")
    assert asked.status_code == 303
    (req,) = _requests(app)
    early = _post(client, auth, f"/keys/requests/{req.id}/copies")
    assert early.status_code == 422 and "須經工程部批准" in early.get_data(as_text=True)
    keys_before = _count(app, Key)
    auth.logout()
    auth.login("engineer")
    assert _post(client, auth, f"/keys/requests/{req.id}/approve", page="/").status_code == 303
    assert _count(app, KeyApproval) == 0  # a copy's approval is the request's, not a lend's
    auth.logout()
    auth.login("desk")
    made = _post(client, auth, f"/keys/requests/{req.id}/copies")
    assert made.status_code == 303
    assert _count(app, Key) == keys_before + 2
    assert _post(client, auth, f"/keys/requests/{req.id}/copies").status_code == 422
    assert _count(app, Key) == keys_before + 2
    with app.app_context():
        copies = list(db.session.scalars(sa.select(KeyCopy)))
        assert {(c.source_key_id, c.request_id) for c in copies} == {(source.id, req.id)}
        new = [db.session.get(Key, c.key_id) for c in copies]
        assert {(k.key_class, k.kind, k.unit_id, k.status) for k in new} == {
            ("owner", source.kind, source.unit_id, "in")
        }
        codes = [
            db.session.scalar(
                sa.select(LabelCode.code).where(
                    LabelCode.item_type == "key", LabelCode.item_id == k.id, LabelCode.active
                )
            )
            for k in new
        ]
    assert all(codes) and code not in codes
    source_history = _history(client, code)
    assert "配製申請" in source_history and "黃建國" in source_history
    assert source_history.count("已登記配製鑰匙") == 2
    copy_history = _history(client, codes[0])
    assert f"{short[:4]}-{short[4:]}" in copy_history and "配製" in copy_history
    assert "黃建國" in copy_history
    assert chain_intact(app)


def test_the_desk_withdraws_a_request_engineering_has_not_answered(app, client, auth, seed):
    """Does a withdrawn request leave engineering's queue, and is a late approval refused?"""
    ((room, _s),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    auth.login("desk")
    _ask_loan(client, auth, room)
    (req,) = _requests(app)
    assert _post(client, auth, f"/keys/requests/{req.id}/withdraw").status_code == 303
    auth.logout()
    auth.login("engineer")
    assert f"/keys/requests/{req.id}/approve" not in client.get("/").get_data(as_text=True)
    assert _post(client, auth, f"/keys/requests/{req.id}/approve", page="/").status_code == 303
    assert _requests(app)[0].status == "withdrawn" and _count(app, KeyApproval) == 0


@pytest.fixture
def engineer2(app, seed):
    """An engineer who works only at the second estate."""
    with app.app_context():
        user = User(username="eng2", role="engineering", display_name="Eng Two")
        user.set_password("eng2-pass")
        user.estates = [db.session.get(Estate, seed.estate_ids[1])]
        db.session.add(user)
        db.session.commit()
    return ("eng2", "eng2-pass")


def test_an_engineer_of_another_estate_never_sees_the_requests(app, client, auth, seed, engineer2):
    """Does an engineer of the second estate see none of the first estate's requests (home,
    queue, list, page 404) and fail to approve one (404, nothing stored)?"""
    ((room, _s),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    auth.login("desk")
    _ask_loan(client, auth, room)
    (req,) = _requests(app)
    label = key_of(app, room).label
    auth.logout()
    auth.login(*engineer2)
    assert label not in client.get("/").get_data(as_text=True)
    assert label not in client.get("/keys/requests/queue").get_data(as_text=True)
    assert label not in client.get("/keys/requests").get_data(as_text=True)
    assert client.get(f"/keys/requests/{req.id}").status_code == 404
    assert _post(client, auth, f"/keys/requests/{req.id}/approve", page="/").status_code == 404
    assert _requests(app)[0].status == "pending" and _count(app, KeyApproval) == 0


def test_engineering_reads_the_register_but_never_lends(app, client, auth, seed):
    """Does engineering's menu offer its approvals and the key register (read: 200), while the
    lend and the return stay the desk's (403)?"""
    ((room, _s),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    auth.login("engineer")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/keys/requests"' in home and "/keys/?key_class=equipment_room" in home
    assert client.get("/keys/?key_class=equipment_room").status_code == 200
    assert client.get("/keys/ledger").status_code == 200
    lend = _post(
        client, auth, "/keys/lend", page="/", codes=room, borrower_name="x",
        borrower_type="staff", purpose="x", due_back="2031-01-01T18:00",
    )  # fmt: skip
    assert lend.status_code == 403


def test_the_history_names_a_phone_approval_without_a_request(app, client, auth, seed, make_phone):
    """Is an approval given on a phone with no request named in the key's history (who)?"""
    ((room, _s),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    push_one(make_phone("engineer", "eng"), op("key.approve", T0, code=room, borrower_name="李工"))
    auth.login("desk")
    history = _history(client, room)
    assert "黃建國" in history and "李工" in history


def test_the_desk_page_loads_the_requests_and_htmx_gets_the_list_alone(app, client, auth, seed):
    """Does the lend-and-return page load the desk's requests below its forms, and does the
    requests page answer htmx (its polling) with the list alone?"""
    auth.login("desk")
    assert 'hx-get="/keys/requests" hx-trigger="load"' in client.get("/keys/desk").get_data(
        as_text=True
    )
    fragment = client.get("/keys/requests", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="key-requests"') and "<html" not in fragment
    assert 'href="/keys/requests"' in client.get("/").get_data(as_text=True)


CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")


def test_the_english_pages_show_no_stored_chinese(app, client, auth, seed):
    """With the reader in English, do engineering's home, the requests page, a request's page
    and the key's history show no Chinese but the registry's names and what people wrote (an
    offered purpose is stored as its value and named in English)?"""
    ((room, _s),) = key_tags(app, seed.estate_ids[0], "equipment_room")
    auth.login("desk")
    _ask_loan(client, auth, room, purpose="設備保養")  # an offered purpose, typed in Chinese
    (req,) = _requests(app)
    assert req.purpose == "equipment_maintenance"
    auth.logout()
    auth.login("engineer")
    _post(client, auth, f"/keys/requests/{req.id}/refuse", page="/", reason="停水")
    with app.app_context():
        names = [e.name for e in db.session.scalars(sa.select(Estate))]
        names += [u.display_name for u in db.session.scalars(sa.select(User)) if u.display_name]
        names += [k.label for k in db.session.scalars(sa.select(Key))]
    allowed = sorted({*names, "陳師傅", "停水", "巡", "中文"}, key=len, reverse=True)
    client.post("/language", data={"locale": "en", "next": "/", "csrf_token": auth.csrf("/")})
    for path in ("/", "/keys/requests", f"/keys/requests/{req.id}", f"/q/{room}"):
        html = client.get(path).get_data(as_text=True)
        assert '<html lang="en">' in html
        text = re.sub(r"<[^>]+>", " ", html)
        for name in allowed:
            text = text.replace(name, "")
        assert CJK.findall(text) == [], (path, CJK.findall(text)[:20])
