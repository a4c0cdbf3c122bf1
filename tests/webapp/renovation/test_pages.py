"""The renovation register's pages: add, edit, close a permit, its deposit ledger, and the
registry's status menu opening and closing permits."""

from __future__ import annotations

import sqlalchemy as sa

from tests.webapp.renovation.conftest import add_permit, units_of
from tests.webapp.renovation.test_notice_ops import issue_op
from webapp.extensions import db
from webapp.models import Estate, LabelCode, Unit
from webapp.models.renovation import DepositEntry, RenovationPermit
from webapp.renovation.status import estate_today

HX = {"HX-Request": "true"}


def _form(unit_label: str, token: str, **changes) -> dict:
    data = {
        "unit": unit_label,
        "number": "裝2026-900",
        "owner_name": "陳美玲",
        "contractor": "宏達裝修工程行",
        "contractor_phone": "0912-345-678",
        "starts_on": "2026-01-05",
        "ends_on": "2099-03-31",
        "hours": "8:00-12:00，14:00–18:00",
        "scope": "客廳地板更換",
        "deposit": "5000",
        "csrf_token": token,
    }
    data.update(changes)
    return data


def test_adding_a_permit_makes_the_unit_renovating(app, supervisor, token, seed):
    """Does the form add a permit to the unit its label names, hours written as stored, the
    unit 裝修中 at once (its start is past), shown on the list and its page?"""
    estate = seed.estate_ids[0]
    with app.app_context():
        unit = units_of(estate, "occupied")[0]
        unit_id, label = unit.id, unit.label
    response = supervisor.post(
        f"/renovation/estates/{estate}/permits/new", data=_form(label, token)
    )
    assert response.status_code == 303
    with app.app_context():
        permit = db.session.scalar(
            sa.select(RenovationPermit).where(RenovationPermit.number == "裝2026-900")
        )
        assert permit.unit_id == unit_id and permit.hours == "08:00-12:00,14:00-18:00"
        assert db.session.get(Unit, unit_id).status == "renovating"
        permit_id = permit.id
    page = supervisor.get(f"/renovation/permits/{permit_id}").get_data(as_text=True)
    assert "客廳地板更換" in page and "08:00-12:00, 14:00-18:00" in page and "施工中" in page
    listed = supervisor.get(f"/renovation/estates/{estate}/permits?q=900").get_data(as_text=True)
    assert 'data-total="1"' in listed and "裝2026-900" in listed


def test_a_bad_permit_is_refused_beside_its_fields_and_nothing_is_written(
    app, supervisor, token, seed
):
    """An unknown unit, an end before the start, hours that are not hours, a number already
    used: is each a 422 with the message beside its field, and nothing stored?"""
    estate = seed.estate_ids[0]
    with app.app_context():
        unit = units_of(estate, "occupied")[0]
        label = unit.label
        taken = db.session.scalar(
            sa.select(RenovationPermit.number).where(RenovationPermit.estate_id == estate)
        )
        before = db.session.scalar(sa.select(sa.func.count()).select_from(RenovationPermit))
    cases = [
        ({"unit": "99棟-9單元-9樓-909室"}, "沒有這個房屋"),
        ({"ends_on": "2025-12-31"}, "完工日期早於開工日期"),
        ({"hours": "早上八點"}, "施工時間請寫成"),
        ({"hours": "18:00-08:00"}, "施工時間請寫成"),
        ({"number": taken}, "相同許可證號"),
        ({"starts_on": "3001-01-01"}, ""),
    ]
    for changes, message in cases:
        response = supervisor.post(
            f"/renovation/estates/{estate}/permits/new", data=_form(label, token, **changes)
        )
        assert response.status_code == 422, changes
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RenovationPermit)) == before
        assert db.session.get(Unit, unit.id).status == "occupied"


def test_the_status_menu_opens_a_permit_form_and_closing_ends_the_renovation(
    app, supervisor, token, seed
):
    """From the registry's status menu: does 裝修中 open the permit form for that unit (not
    set the status), and does choosing 空置 on a renovating unit close its permit (work ended,
    today) and make it vacant?"""
    estate = seed.estate_ids[0]
    with app.app_context():
        unit = units_of(estate, "occupied")[2]
        unit_id, label = unit.id, unit.label
    opened = supervisor.post(
        f"/registry/units/{unit_id}/status", data={"status": "renovating", "csrf_token": token}
    )
    assert opened.status_code == 303
    form = supervisor.get(opened.headers["Location"]).get_data(as_text=True)
    assert f'value="{label}"' in form
    with app.app_context():
        assert db.session.get(Unit, unit_id).status == "occupied"
        add_permit(estate, db.session.get(Unit, unit_id), "S-10")
        db.session.commit()
    supervisor.post(
        f"/registry/units/{unit_id}/status",
        data={"status": "vacant", "csrf_token": token},
        headers=HX,
    )
    with app.app_context():
        permit = db.session.scalar(
            sa.select(RenovationPermit).where(RenovationPermit.number == "S-10")
        )
        today = estate_today(db.session.get(Estate, estate))
        assert (permit.closed_on, permit.close_reason) == (today, "ended")
        assert db.session.get(Unit, unit_id).status == "vacant"


def test_the_deposit_ledger_only_adds_lines_and_never_pays_out_more_than_it_holds(
    app, supervisor, token, seed
):
    """Received, deducted (with a reason) and refunded: is each a line, is a deduction
    without a reason or a refund above what is held refused (422), and is the balance right?"""
    estate = seed.estate_ids[0]
    with app.app_context():
        permit = add_permit(estate, units_of(estate, "occupied")[3], "S-11", deposit=5000)
        db.session.commit()
        permit_id = permit.id
    url = f"/renovation/permits/{permit_id}/deposit"

    def post(kind, amount, note=""):
        return supervisor.post(
            url,
            data={
                "kind": kind,
                "amount": amount,
                "on": "2026-02-01",
                "note": note,
                "csrf_token": token,
            },
        )

    assert post("received", "5000").status_code == 303
    assert post("deducted", "800").status_code == 422, "a deduction says why"
    assert post("deducted", "800", "損壞公共走廊地磚").status_code == 303
    refused = post("refunded", "4300")
    assert refused.status_code == 422 and "4200" in refused.get_data(as_text=True)
    assert post("refunded", "4200").status_code == 303
    with app.app_context():
        permit = db.session.get(RenovationPermit, permit_id)
        assert [(e.kind, e.amount) for e in permit.entries] == [
            ("received", 5000),
            ("deducted", 800),
            ("refunded", 4200),
        ]
        assert permit.deposit_held == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DepositEntry)) >= 3


def test_closing_a_permit_on_its_page(app, supervisor, token, seed):
    """Does the close form end the permit (accepted) and put the unit back, and may a closed
    permit no longer be edited?"""
    estate = seed.estate_ids[0]
    with app.app_context():
        unit = units_of(estate, "vacant")[0]
        permit = add_permit(estate, unit, "S-12")
        db.session.commit()
        permit_id, unit_id = permit.id, unit.id
    response = supervisor.post(
        f"/renovation/permits/{permit_id}/close",
        data={"reason": "accepted", "on": "2026-02-02", "csrf_token": token},
    )
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Unit, unit_id).status == "vacant"
    edit = supervisor.get(f"/renovation/permits/{permit_id}/edit")
    assert edit.status_code == 303


def test_the_english_pages_list_rules_and_hours_with_an_english_separator(
    app, phone, supervisor, seed
):
    """Are a notice's rules and a permit's working hours listed with ", " on the English pages
    (the unit's page, the permit's, the notices and the notice) and with 、 on the Chinese?"""
    estate = seed.estate_ids[0]
    with app.app_context():
        unit = units_of(estate, "occupied")[-3]
        permit = add_permit(estate, unit, "N-9", hours="08:00-12:00,13:30-17:30")
        db.session.commit()
        permit_id = permit.id
        code = db.session.scalar(
            sa.select(LabelCode.code).where(
                LabelCode.item_type == "unit", LabelCode.item_id == unit.id, LabelCode.active
            )
        )
    op = issue_op(code)
    assert phone.push([op]).get_json()["results"][0]["status"] == "applied"
    notice_id = op["payload"]["id"]
    pages = (
        f"/q/{code}",
        f"/renovation/permits/{permit_id}",
        f"/renovation/estates/{estate}/notices",
        f"/renovation/notices/{notice_id}",
    )
    for path in pages:
        english = supervisor.get(path, headers={"Accept-Language": "en"})
        assert english.status_code == 200, path
        assert "、" not in english.get_data(as_text=True), path
    assert "08:00-12:00, 13:30-17:30" in supervisor.get(
        f"/q/{code}", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    chinese = supervisor.get(f"/renovation/notices/{notice_id}").get_data(as_text=True)
    assert "改變外立面、垃圾未按規定清運" in chinese
