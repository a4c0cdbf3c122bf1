"""The items log (rule 8): received, approved or refused by a supervisor, collected with a
signature or returned; scoped to the reader's estates; every form CSRF-checked; bad input a 4xx
with a message."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from tests.webapp.desk.conftest import item, newest_item, png, unit_of
from webapp.desk import rules
from webapp.extensions import db
from webapp.models.desk import DeskItem, DeskItemEvent
from webapp.models.sync import PhotoLink


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(DeskItem))


def _history(app, item_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(DeskItemEvent.action)
                .where(DeskItemEvent.item_id == item_id)
                .order_by(DeskItemEvent.id)
            )
        )


@pytest.mark.parametrize(
    ("kind", "role", "status"),
    [
        ("parcel", "frontdesk", "requested"),
        ("document", "frontdesk", "requested"),
        ("other", "frontdesk", "requested"),
        ("mail", "frontdesk", "held"),
        ("newspaper", "frontdesk", "held"),
        ("parcel", "supervisor", "held"),
    ],
)
def test_which_items_wait_for_a_supervisor(kind, role, status):
    """Does a parcel, document or other item received by the desk wait for approval, mail and
    newspapers not, and an item a supervisor receives count as approved?"""
    assert rules.first_status(kind, role) == status


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [
        ("approve", "requested", "held"),
        ("approve", "held", None),
        ("approve", "refused", None),
        ("refuse", "requested", "refused"),
        ("refuse", "collected", None),
        ("collect", "held", "collected"),
        ("collect", "requested", "collected"),
        ("collect", "returned", None),
        ("return", "refused", "returned"),
        ("return", "collected", None),
    ],
)
def test_what_may_happen_to_an_item(action, before, after):
    """Is each step allowed only from the statuses the rule names?"""
    assert rules.after(action, before) == after


def test_a_parcel_is_approved_held_and_collected_with_a_signature(app, client, auth, desk, seed):
    """Does a parcel wait for a supervisor (shown so on the log), get approved, and leave the
    desk only with a collector's name and a drawn signature — no signature, a blank one, or a
    supervisor's answer from the desk each refused?"""
    estate = seed.estate_ids[0]
    _unit_id, label = unit_of(app, estate, 2)
    auth.login("desk")
    assert desk.receive(estate, label).status_code == 303
    item_id = newest_item(app)
    assert item(app, item_id).status == "requested"
    log = client.get("/desk/?status=requested").get_data(as_text=True)
    assert f"/desk/items/{item_id}" in log and "待主管批准" in log
    assert desk.decide(item_id, "approve").status_code == 403  # the desk cannot approve
    auth.logout()

    auth.login("supervisor")
    assert "等待您批准" in client.get("/desk/").get_data(as_text=True)
    assert desk.decide(item_id, "approve").status_code == 303
    assert item(app, item_id).status == "held"
    auth.logout()

    auth.login("desk")
    refused = desk.collect(item_id)  # no signature sent
    assert refused.status_code == 422
    assert "領取人必須簽名" in refused.get_data(as_text=True)
    assert desk.collect(item_id, signature=png(ink=False)).status_code == 422
    assert desk.collect(item_id, name="", signature=png()).status_code == 422
    assert item(app, item_id).status == "held"
    done = desk.collect(item_id, name="Mrs Lee", signature=png())
    assert done.status_code == 303
    collected = item(app, item_id)
    assert collected.status == "collected" and collected.collector_name == "Mrs Lee"
    assert collected.signature_sha256
    assert _history(app, item_id) == ["receive", "approve", "collect"]
    page = client.get(f"/desk/items/{item_id}").get_data(as_text=True)
    assert collected.signature_sha256 in page
    blob = client.get(f"/api/blobs/{collected.signature_sha256}")
    assert blob.status_code == 200 and blob.mimetype == "image/png"
    with app.app_context():
        link = db.session.scalar(sa.select(PhotoLink).where(PhotoLink.record_id == str(item_id)))
        assert link.record_type == "desk_item" and link.vouched
    # Collected once: a second collection or a return is refused with a message, not a 500.
    again = desk.give_back(item_id, "to the courier")
    assert again.status_code == 409 and "已領取" in again.get_data(as_text=True)


def test_a_refused_parcel_is_returned(app, client, auth, desk, seed):
    """Does a refusal need a reason, leave the item marked refused on the log, and does the
    return need a note? Is an answer to an item already answered refused (409)?"""
    estate = seed.estate_ids[0]
    _unit_id, label = unit_of(app, estate, 3)
    auth.login("desk")
    desk.receive(estate, label, kind="document", description="a sealed envelope")
    item_id = newest_item(app)
    auth.logout()
    auth.login("supervisor")
    assert desk.decide(item_id, "refuse", "").status_code == 422
    assert desk.decide(item_id, "maybe", "x").status_code == 422
    assert desk.decide(item_id, "refuse", "Owner did not ask us to").status_code == 303
    assert item(app, item_id).status == "refused"
    late = desk.decide(item_id, "approve")
    assert late.status_code == 409 and "不予代存" in late.get_data(as_text=True)
    auth.logout()
    auth.login("desk")
    row = client.get("/desk/?status=refused").get_data(as_text=True)
    assert f"/desk/items/{item_id}" in row
    assert desk.give_back(item_id, "").status_code == 422
    assert desk.give_back(item_id, "back to the courier").status_code == 303
    assert item(app, item_id).status == "returned"
    assert _history(app, item_id) == ["receive", "refuse", "return"]


def test_mail_is_held_without_approval_and_a_supervisor_approves_by_receiving(
    app, client, auth, desk, seed
):
    """Is undelivered mail held at once, and a parcel a supervisor receives held with the
    supervisor named as its approver?"""
    estate = seed.estate_ids[0]
    _unit_id, label = unit_of(app, estate, 4)
    auth.login("desk")
    desk.receive(estate, label, kind="mail", quantity=3)
    assert item(app, newest_item(app)).status == "held"
    auth.logout()
    auth.login("supervisor")
    desk.receive(estate, label, kind="parcel")
    held = item(app, newest_item(app))
    assert held.status == "held" and held.decided_by_id == seed.user_ids["supervisor"]


def test_a_unit_is_named_by_its_label_or_its_room(app, auth, desk, seed):
    """Does the unit field take the label the list offers and a bare room number, and refuse a
    unit of another estate?"""
    estate = seed.estate_ids[0]
    unit_id, label = unit_of(app, estate, 5)
    auth.login("desk")
    assert desk.receive(estate, label).status_code == 303
    assert item(app, newest_item(app)).unit_id == unit_id
    room = label.rsplit("-", 1)[-1]
    with app.app_context():
        from webapp.models import Unit

        rooms = db.session.scalars(
            sa.select(Unit.room).where(Unit.estate_id == estate, Unit.room == room[:-1])
        ).all()
    if len(rooms) == 1:
        assert desk.receive(estate, room).status_code == 303
        assert item(app, newest_item(app)).unit_id == unit_id
    _other_id, other_label = unit_of(app, seed.estate_ids[1], 0)
    if other_label != label:
        refused = desk.receive(estate, other_label + "X")
        assert refused.status_code == 422 and "沒有" in refused.get_data(as_text=True)


def test_a_unit_typed_full_width_is_the_same_unit(app, auth, desk, seed):
    """Is a unit's label or room typed with an IME in full-width mode (１棟-１單元-…, １０５)
    the unit it names, as the renovation permit's unit field reads it — not "no such unit"?"""
    estate = seed.estate_ids[0]
    unit_id, label = unit_of(app, estate, 5)
    wide = str.maketrans("0123456789", "０１２３４５６７８９")
    auth.login("desk")
    assert desk.receive(estate, label.translate(wide)).status_code == 303
    assert item(app, newest_item(app)).unit_id == unit_id
    room = label.rsplit("-", 1)[-1].removesuffix("室")
    with app.app_context():
        from webapp.models import Unit

        same_room = sa.select(sa.func.count()).where(Unit.estate_id == estate, Unit.room == room)
        alone = db.session.scalar(same_room.select_from(Unit)) == 1
    if alone:
        assert desk.receive(estate, room.translate(wide)).status_code == 303
        assert item(app, newest_item(app)).unit_id == unit_id


def test_another_estates_desk_never_sees_an_item(app, client, auth, desk, seed, other_desk):
    """Does a desk of the second estate see none of the first estate's items — not on its log,
    not in its export, and 404 on the item's page and every action on it?"""
    estate = seed.estate_ids[0]
    _unit_id, label = unit_of(app, estate, 6)
    auth.login("desk")
    desk.receive(estate, label, resident_name="Only Here")
    item_id = newest_item(app)
    auth.logout()
    auth.login(*other_desk)
    log = client.get("/desk/?q=Only").get_data(as_text=True)
    assert "Only Here" not in log and f"/desk/items/{item_id}" not in log
    export = client.get("/desk/items.csv").get_data(as_text=True)
    assert "Only Here" not in export
    assert client.get(f"/desk/items/{item_id}").status_code == 404
    token = auth.csrf("/desk/")
    for action in ("collect", "return"):
        data = {"csrf_token": token, "note": "x", "collector_name": "x"}
        assert client.post(f"/desk/items/{item_id}/{action}", data=data).status_code == 404
    # Receiving for the other estate, or its unit, is refused too.
    data = {"csrf_token": token, "estate": str(estate), "unit": label, "kind": "mail"}
    before = _count(app)
    refused = client.post("/desk/items", data=data)
    assert refused.status_code == 422, refused.status_code
    page = refused.get_data(as_text=True)
    assert 'class="field-error"' in page, "a 422 that says nothing"
    assert f'name="estate" value="{estate}"' not in page, "the other estate kept in the form"
    assert _count(app) == before
    assert item(app, item_id).status == "requested"
    assert client.get(f"/desk/handover?estate={estate}").status_code == 404


def test_every_desk_form_needs_its_csrf_token(app, client, auth, desk, seed):
    """Is a post without the CSRF token refused (400) by every desk form, storing nothing?"""
    estate = seed.estate_ids[0]
    _unit_id, label = unit_of(app, estate, 7)
    auth.login("desk")
    desk.receive(estate, label)
    item_id = newest_item(app)
    before = _history(app, item_id)
    posts = {
        "/desk/items": {"estate": str(estate), "unit": label, "kind": "mail", "quantity": "1"},
        f"/desk/items/{item_id}/collect": {"collector_name": "x"},
        f"/desk/items/{item_id}/return": {"note": "x"},
        "/desk/handover": {"incoming_username": "supervisor", "incoming_password": "x"},
    }
    for path, data in posts.items():
        response = client.post(path, data=data)
        assert response.status_code == 400, path
    auth.logout()
    auth.login("supervisor")
    response = client.post(f"/desk/items/{item_id}/decide", data={"decision": "approve"})
    assert response.status_code == 400
    assert newest_item(app) == item_id
    assert _history(app, item_id) == before


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("received_at", "2026-13-45T10:00", "不是有效的日期時間"),
        ("received_at", "0001-01-01T00:00", "不是有效的日期時間"),
        ("received_at", "9999-12-31T23:59", "不是有效的日期時間"),
        ("received_at", "2999-12-31T23:59", "未來"),
        ("quantity", "99999999999999999999", "整數"),
        ("quantity", "0", "1 至 999"),
        ("quantity", "1000", "1 至 999"),
        ("kind", "bomb", "選擇"),
        ("unit", "", "房屋"),
    ],
)
def test_bad_input_is_refused_with_a_message(app, client, auth, desk, seed, field, value, says):
    """Is a date no calendar holds, a future time, a huge or out-of-range count, an unknown
    kind or no unit a 422 that says what is wrong — never a 500, and nothing stored?"""
    estate = seed.estate_ids[0]
    _unit_id, label = unit_of(app, estate, 1)
    auth.login("desk")
    before = newest_item(app)
    fields = {field: value}
    response = desk.receive(estate, fields.pop("unit", label), **fields)
    assert response.status_code == 422
    assert says in response.get_data(as_text=True)
    assert newest_item(app) == before


def test_huge_numbers_in_urls_and_filters_are_refused(app, client, auth, seed):
    """Is an item or handover id past 32 bits a 404, and a huge filter number a 400 with a
    message, on every desk page?"""
    auth.login("supervisor")
    for path in ("/desk/items/2147483648", "/desk/handovers/99999999999999999999"):
        assert client.get(path).status_code == 404
    reads = {
        "/desk/": ("estate", "page"),
        "/desk/items.csv": ("estate",),
        "/desk/handovers": ("estate", "page"),
        "/desk/handovers.csv": ("estate",),
        "/desk/handover": ("estate",),
    }
    for path, names in reads.items():
        for name in names:
            response = client.get(path, query_string={name: "99999999999999999999"})
            assert response.status_code == 400, (path, name)
            assert f"{name}：「99999999999999999999」不是" in response.get_data(as_text=True)
    # A day no calendar holds is named too (it turned the filter off: the whole list).
    response = client.get("/desk/?start=2026-02-30&end=0000-01-01")
    assert response.status_code == 400 and "2026-02-30" in response.get_data(as_text=True)


def test_the_items_export_holds_the_filtered_items_in_chinese(app, client, auth, desk, seed):
    """Do the CSV and XLSX hold the items the filters select, with Chinese statuses and a
    formula in user text made inert?"""
    estate = seed.estate_ids[0]
    _unit_id, label = unit_of(app, estate, 2)
    auth.login("desk")
    desk.receive(estate, label, kind="newspaper", resident_name="=HYPERLINK(1)")
    response = client.get("/desk/items.csv?kind=newspaper")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["編號", "小區", "收件時間"]
    mine = [r for r in rows[1:] if r[4] == "'=HYPERLINK(1)"]
    assert len(mine) == 1 and mine[0][5] == "報紙" and mine[0][10] == "代存中"
    assert {r[5] for r in rows[1:]} == {"報紙"}
    xlsx = client.get("/desk/items.xlsx?kind=newspaper")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_admin_sees_the_log_but_does_not_act(app, client, auth, desk, seed):
    """May an admin read the log and an item, but not receive or hand over (403)?"""
    with app.app_context():
        item_id = db.session.scalar(sa.select(sa.func.min(DeskItem.id)))
    auth.login("admin")
    assert client.get("/desk/").status_code == 200
    assert client.get(f"/desk/items/{item_id}").status_code == 200
    token = auth.csrf("/desk/")
    assert client.post("/desk/items", data={"csrf_token": token}).status_code == 403
    assert client.get("/desk/handover").status_code == 403


def test_the_supervisors_home_says_what_awaits_approval(app, client, auth, desk, seed):
    """Does the supervisor's home name the items awaiting approval, with their count, linking to
    them — and say nothing once none waits?"""
    with app.app_context():
        waiting = db.session.scalar(
            sa.select(sa.func.count()).select_from(DeskItem).where(DeskItem.status == "requested")
        )
    assert waiting > 0  # the demo leaves some
    auth.login("supervisor")
    home = client.get("/").get_data(as_text=True)
    assert "待您批准的代存物品" in home and "/desk/?status=requested" in home
    assert f'<span class="badge badge-warn">{waiting}</span>' in home
    with app.app_context():
        ids = db.session.scalars(sa.select(DeskItem.id).where(DeskItem.status == "requested"))
        ids = list(ids)
    for item_id in ids:
        assert desk.decide(item_id, "approve").status_code == 303
    assert "待您批准的代存物品" not in client.get("/").get_data(as_text=True)
