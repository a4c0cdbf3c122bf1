"""The shift handover 《前臺交接日志》: keys counted against the register, the items and mail at
the desk, the open work, both shifts' passwords; its page, its PDF and its exports."""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa

from tests.sync.conftest import T0, lend_op
from tests.webapp.desk.conftest import newest_item, unit_of
from tests.webapp.keys.conftest import key_codes, key_of, key_tags, op, push_one
from tests.webapp.paper.test_forms import pdf_text
from webapp.desk import demo
from webapp.extensions import db
from webapp.models import Estate, Key, User
from webapp.models.desk import DeskHandover, DeskItemEvent

EN = {"Accept-Language": "en"}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")


def _in_keys(app, estate: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Key.id).where(Key.estate_id == estate, Key.status == "in", Key.active)
            )
        )


def _handovers(app) -> list[DeskHandover]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(DeskHandover).order_by(DeskHandover.id)))
        for h in found:
            db.session.expunge(h)
        return found


def _at_the_desk(app, client, auth, desk, make_phone, seed):
    """A key lent out and one left uncounted; a parcel awaiting approval and mail held."""
    estate = seed.estate_ids[0]
    lent_code, uncounted_code = key_codes(app, estate, "public_area", 2)
    push_one(make_phone("desk", "desk"), lend_op(lent_code, T0, name="Mr Contractor"))
    _unit, label = unit_of(app, estate, 3)
    auth.login("desk")
    desk.receive(estate, label, kind="parcel", resident_name="Parcel Owner")
    parcel = newest_item(app)
    desk.receive(estate, label, kind="mail", resident_name="Mail Reader", quantity=2)
    mail = newest_item(app)
    lent, uncounted = key_of(app, lent_code).id, key_of(app, uncounted_code).id
    ticked = [i for i in _in_keys(app, estate) if i != uncounted]
    return {
        "estate": estate,
        "lent": lent,
        "lent_code": lent_code,
        "uncounted": uncounted,
        "ticked": ticked,
        "parcel": parcel,
        "mail": mail,
        "label": label,
    }


def _sign(client, auth, at, **changes):
    form = {
        "csrf_token": auth.csrf("/desk/handover"),
        "estate": str(at["estate"]),
        "key": [str(i) for i in at["ticked"]],
        "codes": f"{at['lent_code']}\nNOT-A-TAG-1",
        "tasks": "Call the plumber about 3棟\n\n  Chase unit 1502's parcel  ",
        "note": "Quiet night",
        "outgoing_password": "desk-demo",
        "incoming_username": "supervisor",
        "incoming_password": "supervisor-demo",
    }
    form.update(changes)
    return client.post("/desk/handover", data=form)


def test_the_handover_lists_keys_items_and_tasks_and_needs_both_signatures(
    app, client, auth, desk, make_phone, seed
):
    """Does the form list the keys, the parcel and the mail at the desk; is a handover refused
    (nothing logged) without the outgoing shift's own password, without a right incoming
    password, or with the same person on both sides; and once both sign, does the log hold
    the exact key differences, the unknown code as scanned, the task lines and every open
    item, each with a handover step in its history?"""
    at = _at_the_desk(app, client, auth, desk, make_phone, seed)
    page = client.get("/desk/handover").get_data(as_text=True)
    assert "Parcel Owner" in page and "Mail Reader" in page
    assert f'value="{at["lent"]}"' in page and f'value="{at["uncounted"]}"' in page
    before = len(_handovers(app))
    assert _sign(client, auth, at, outgoing_password="wrong").status_code == 422
    assert _sign(client, auth, at, incoming_password="wrong").status_code == 422
    same = _sign(client, auth, at, incoming_username="desk", incoming_password="desk-demo")
    assert same.status_code == 422
    assert "接班人須以自己的帳號和密碼簽名" in same.get_data(as_text=True)
    assert len(_handovers(app)) == before
    done = _sign(client, auth, at)
    assert done.status_code == 303
    entry = _handovers(app)[-1]
    assert done.headers["Location"].endswith(f"/desk/handovers/{entry.id}")
    assert entry.missing == [at["uncounted"]]
    assert entry.unexpected == [at["lent"]]
    assert entry.unknown_codes == ["NOT-A-TAG-1"]
    assert entry.tasks == ["Call the plumber about 3棟", "Chase unit 1502's parcel"]
    assert entry.outgoing_user_id == seed.user_ids["desk"]
    assert entry.incoming_user_id == seed.user_ids["supervisor"]
    assert {"key": at["lent"], "status": "out", "holder": "Mr Contractor"} in entry.away
    with app.app_context():
        handed = set(
            db.session.scalars(
                sa.select(DeskItemEvent.item_id).where(DeskItemEvent.handover_id == entry.id)
            )
        )
    assert {at["parcel"], at["mail"]} <= handed
    shown = client.get(f"/desk/handovers/{entry.id}").get_data(as_text=True)
    for text in ("Parcel Owner", "Mail Reader", "NOT-A-TAG-1", "Call the plumber", "林淑芬"):
        assert text in shown, text
    item_page = client.get(f"/desk/items/{at['parcel']}").get_data(as_text=True)
    assert "交接班" in item_page and f"/desk/handovers/{entry.id}" in item_page
    # The next handover starts from the open work this one left.
    again = client.get("/desk/handover").get_data(as_text=True)
    assert "Call the plumber about 3棟\nChase unit 1502&#39;s parcel" in again


def test_the_incoming_shift_must_work_at_the_estate(app, client, auth, desk, seed):
    """Is an incoming user of another estate, or a patroller, refused even with the right
    password?"""
    with app.app_context():
        user = User(username="desk-elsewhere", role="frontdesk")
        user.set_password("elsewhere-pass")
        user.estates = [db.session.get(Estate, seed.estate_ids[1])]
        db.session.add(user)
        db.session.commit()
    auth.login("desk")
    token = auth.csrf("/desk/handover")
    for username, password in (("desk-elsewhere", "elsewhere-pass"), ("patrol", "patrol-demo")):
        form = {
            "csrf_token": token,
            "outgoing_password": "desk-demo",
            "incoming_username": username,
            "incoming_password": password,
        }
        assert client.post("/desk/handover", data=form).status_code == 422, username


def test_the_handover_prints_as_a_pdf_with_real_text(app, client, auth, desk, make_phone, seed):
    """Does the PDF carry, as text, the form's name, both shifts, the key differences, the
    items, the mail and the tasks?"""
    at = _at_the_desk(app, client, auth, desk, make_phone, seed)
    assert _sign(client, auth, at).status_code == 303
    entry = _handovers(app)[-1]
    response = client.get(f"/desk/handovers/{entry.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    with app.app_context():
        uncounted = db.session.get(Key, at["uncounted"]).label
    for words in (
        "前臺交接日志",
        "Front desk handover log",
        "張美玲",
        "林淑芬",
        "應在櫃未點到",
        uncounted,
        "NOT-A-TAG-1",
        "Parcel Owner",
        "Mail Reader",
        "待主管批准",
        "Call the plumber",
        "交班人簽名",
    ):
        assert words in text, words


def test_the_handover_log_exports_a_line_per_thing_handed_over(
    app, client, auth, desk, make_phone, seed
):
    """Do the log's CSV and XLSX hold this handover's key differences, items and tasks?"""
    at = _at_the_desk(app, client, auth, desk, make_phone, seed)
    assert _sign(client, auth, at).status_code == 303
    entry = _handovers(app)[-1]
    response = client.get(f"/desk/handovers.csv?estate={at['estate']}")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    mine = [r for r in rows[1:] if r[0] == str(entry.id)]
    sections = {r[5] for r in mine}
    assert {"鑰匙盤點", "代存物品", "未派送信件及報紙", "未完成事項"} <= sections
    assert any(r[6] == "NOT-A-TAG-1" and r[7] == "無法識別的編碼" for r in mine)
    assert any("Parcel Owner" in r[6] for r in mine)
    assert any(r[6] == "Call the plumber about 3棟" for r in mine)
    xlsx = client.get("/desk/handovers.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_the_english_pages_show_no_stored_chinese(app, client, auth, desk, make_phone, seed):
    """With the reader in English, do the handover's page, the log and an item's page show no
    Chinese but the registry's own names (estate, units, keys, people) and the form's name —
    no status, kind or sentence stored in the server's language (the unknown-codes line was)?"""
    at = _at_the_desk(app, client, auth, desk, make_phone, seed)
    assert _sign(client, auth, at, tasks="Call the plumber", note="").status_code == 303
    entry = _handovers(app)[-1]
    with app.app_context():
        names = [e.name for e in db.session.scalars(sa.select(Estate))]
        names += [u.display_name for u in db.session.scalars(sa.select(User))]
        names += [k.label for k in db.session.scalars(sa.select(Key))]
        names += [k.holder_name for k in db.session.scalars(sa.select(Key)) if k.holder_name]
        from webapp.models import Unit

        names += [u.label for u in db.session.scalars(sa.select(Unit))]
    # The registry's names, what people wrote, the form's name, the brand mark, the language switch.
    fixed = {"前臺交接日志", "巡", "中文"}
    allowed = sorted({*names, *demo.written(), *fixed}, key=len, reverse=True)
    client.post("/language", data={"locale": "en", "next": "/", "csrf_token": auth.csrf("/desk/")})
    for path in (
        f"/desk/handovers/{entry.id}",
        "/desk/handover",
        "/desk/handovers",
        f"/desk/items/{at['parcel']}",
        "/desk/?status=open",
    ):
        html = client.get(path, headers=EN).get_data(as_text=True)
        assert '<html lang="en">' in html
        text = re.sub(r"<[^>]+>", " ", html)
        for name in allowed:
            text = text.replace(name, "")
        leaks = CJK.findall(text)
        assert leaks == [], (path, leaks[:40])


# ---------------------------------------------------------------- the keys it counts (from the
# key handover this one replaced: tests/webapp/keys/test_stocktake.py, test_desk.py)


def _key_form(auth, estate: int, **fields) -> dict:
    form = {
        "csrf_token": auth.csrf("/desk/handover"),
        "estate": str(estate),
        "outgoing_password": "desk-demo",
        "incoming_username": "supervisor",
        "incoming_password": "supervisor-demo",
    }
    form.update(fields)
    return form


def test_a_key_out_one_issued_and_one_missing_are_logged_exactly(
    app, client, auth, make_phone, seed
):
    """Does a handover with a key lent out and scanned, one issued to its owner and ticked, and
    one in the cabinet left unticked log exactly those differences (a wrong incoming password
    first: nothing logged)?"""
    estate = seed.estate_ids[0]
    phone = make_phone("desk", "desk")
    out_code, missing_code = key_codes(app, estate, "public_area", 2)
    (issued_code,) = key_codes(app, estate, "owner")
    push_one(phone, lend_op(out_code, T0))
    push_one(phone, op("key.issue", T0, code=issued_code, owner_name="業主"))
    missing = key_of(app, missing_code).id
    ticked = [i for i in _in_keys(app, estate) if i != missing]
    auth.login("desk")
    form = _key_form(
        auth,
        estate,
        key=[str(i) for i in ticked] + [str(key_of(app, issued_code).id)],
        codes=out_code,
        incoming_password="wrong",
    )
    before = len(_handovers(app))
    assert client.post("/desk/handover", data=form).status_code == 422
    assert len(_handovers(app)) == before
    form["incoming_password"] = "supervisor-demo"
    assert client.post("/desk/handover", data=form).status_code == 303
    entry = _handovers(app)[-1]
    assert entry.missing == [missing]
    assert entry.unexpected == sorted([key_of(app, out_code).id, key_of(app, issued_code).id])
    assert entry.incoming_name == "林淑芬"
    page = client.get("/desk/handovers").get_data(as_text=True)
    assert "前臺交接日志" in page and "林淑芬" in page


def test_the_handover_reads_label_urls_and_short_codes(app, client, auth, seed):
    """Does the scanned-codes box take label URLs and short codes (the desk's one reader), and
    keep what it could not read as scanned?"""
    estate = seed.estate_ids[0]
    (a, _a), (b, b_short) = key_tags(app, estate, "public_area", 2)
    auth.login("desk")
    codes = f"HTTPS://X.EXAMPLE/Q/{a}\n{b_short.lower()}\n門禁卡"
    signed = client.post("/desk/handover", data=_key_form(auth, estate, codes=codes))
    assert signed.status_code == 303
    entry = _handovers(app)[-1]
    assert set(entry.scanned) == {key_of(app, a).id, key_of(app, b).id}
    assert entry.unknown_codes == ["門禁卡"]
    assert "門禁卡" not in entry.note


def test_a_ticked_key_that_is_no_plain_number_is_left_out(app, client, auth, seed):
    """Is a ticked key of "²" (isdigit, but no int) or past 32 bits left out — the form again
    (nobody signed: 422), never a 500?"""
    auth.login("desk")
    token = auth.csrf("/desk/handover")
    form = {"csrf_token": token, "key": ["²", "99999999999999999999", "x"], "codes": ""}
    assert client.post("/desk/handover", data=form).status_code == 422


def test_findings_dispatched_to_the_desk_are_open_tasks(app, client, auth, seed):
    """Is an open finding dispatched to customer service (the desk's department) listed among
    the open tasks, kept with the handover and printed — and one dispatched elsewhere not?"""
    from webapp.models.sync import Finding
    from webapp.review import workflow

    estate = seed.estate_ids[0]
    with app.app_context():
        supervisor = db.session.get(User, seed.user_ids["supervisor"])
        found = db.session.scalars(
            sa.select(Finding)
            .where(Finding.estate_id == estate, Finding.status == "open")
            .order_by(Finding.id)
            .limit(2)
        ).all()
        assert len(found) == 2
        mine, theirs = found
        workflow.move(db.session, supervisor, mine, "dispatched", department="customer_service")
        workflow.move(db.session, supervisor, theirs, "dispatched", department="engineering")
        db.session.commit()
        mine_id, theirs_id, category = mine.id, theirs.id, mine.category
    auth.login("desk")
    page = client.get("/desk/handover").get_data(as_text=True)
    section = page.split('id="h-tasks"')[1].split("</section>")[0]
    assert category in section
    signed = client.post("/desk/handover", data=_key_form(auth, estate))
    assert signed.status_code == 303
    entry = _handovers(app)[-1]
    assert mine_id in entry.findings and theirs_id not in entry.findings
    text = pdf_text(client.get(f"/desk/handovers/{entry.id}.pdf").data)
    assert f"{category} · 已派工" in text
