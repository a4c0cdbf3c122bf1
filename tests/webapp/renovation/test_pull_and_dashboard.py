"""What leaves the register: a unit's open permits in the phones' pull (a closed one as a
tombstone), and the supervisor's dashboard card of overrun permits."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.sync.conftest import drain
from tests.webapp.renovation.conftest import add_permit, units_of
from webapp.extensions import db
from webapp.models import Estate
from webapp.models.renovation import RenovationPermit
from webapp.renovation import permits
from webapp.renovation.status import estate_today


def _of(changes, kind, obj_id):
    return [c for c in changes if c["type"] == kind and c["id"] == str(obj_id)]


def test_phones_pull_a_units_open_permits_and_a_closed_one_goes(app, phone, seed):
    """Does the snapshot carry every open permit with the unit, hours, scope and contractor's
    phone; does a new permit arrive since the cursor; does closing it send a tombstone; and
    does nothing of the other estate arrive?"""
    estate_id = seed.estate_ids[0]
    snapshot, cursor = drain(phone)
    pulled = [c for c in snapshot if c["type"] == "permit" and not c["deleted"]]
    with app.app_context():
        open_ids = set(
            db.session.scalars(
                sa.select(RenovationPermit.id).where(
                    RenovationPermit.estate_id == estate_id, RenovationPermit.closed_on.is_(None)
                )
            )
        )
    assert {int(c["id"]) for c in pulled} == open_ids and open_ids
    assert all(c["data"]["estate_id"] == estate_id for c in pulled)
    with app.app_context():
        unit = units_of(estate_id, "occupied")[4]
        permit = add_permit(
            estate_id,
            unit,
            "P-1",
            hours="08:00-12:00,13:30-17:30",
            scope="廚房櫥櫃更換",
            contractor="巧匠木作坊",
            contractor_phone="0958-220-731",
        )
        db.session.commit()
        permit_id, unit_id = permit.id, unit.id
    since, cursor = drain(phone, cursor)
    [change] = _of(since, "permit", permit_id)
    data = change["data"]
    assert data["item_type"] == "unit" and data["item_id"] == unit_id
    assert data["hours"] == [
        {"start": "08:00", "end": "12:00"},
        {"start": "13:30", "end": "17:30"},
    ]
    assert data["scope"] == "廚房櫥櫃更換" and data["contractor_phone"] == "0958-220-731"
    assert _of(since, "unit", unit_id)[0]["data"]["status"] == "renovating"
    with app.app_context():
        estate = db.session.get(Estate, estate_id)
        permits.close(
            db.session,
            db.session.get(RenovationPermit, permit_id),
            "accepted",
            estate_today(estate),
            None,
        )
        db.session.commit()
    since, _ = drain(phone, cursor)
    assert _of(since, "permit", permit_id)[0]["deleted"] is True
    assert _of(since, "unit", unit_id)[0]["data"]["status"] == "occupied"


def test_the_dashboard_counts_and_lists_overrun_permits(app, client, auth, seed):
    """Is a permit past its end with no acceptance counted and listed on the dashboard (with a
    link to it), on its full table page and in its export, and gone once accepted?"""
    estate_id = seed.estate_ids[0]
    with app.app_context():
        estate = db.session.get(Estate, estate_id)
        today = estate_today(estate)
        unit = units_of(estate_id, "occupied")[6]
        permit = add_permit(
            estate_id, unit, "OVR-1", today - timedelta(days=40), ends_on=today - timedelta(days=9)
        )
        db.session.commit()
        permit_id = permit.id
        overrun = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RenovationPermit)
            .where(
                RenovationPermit.estate_id == estate_id,
                RenovationPermit.closed_on.is_(None),
                RenovationPermit.ends_on < today,
            )
        )
    auth.login("supervisor")
    page = client.get(f"/review/dashboard?estate={estate_id}").get_data(as_text=True)
    assert f'data-total="{overrun}"' in page and "OVR-1" in page
    full = client.get(f"/review/tables/overrun?estate={estate_id}").get_data(as_text=True)
    assert f"/renovation/permits/{permit_id}" in full and ">9<" in full
    export = client.get(f"/review/tables/overrun.csv?estate={estate_id}")
    assert "OVR-1" in export.data.decode("utf-8-sig")
    with app.app_context():
        estate = db.session.get(Estate, estate_id)
        permits.close(
            db.session, db.session.get(RenovationPermit, permit_id), "accepted", today, None
        )
        db.session.commit()
    page = client.get(f"/review/dashboard?estate={estate_id}").get_data(as_text=True)
    assert "OVR-1" not in page
