"""Custom rounds: a supervisor makes one and chooses its checkpoints; phones pull them."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import LabelCode, Sign
from webapp.models.audit import AuditEvent
from webapp.models.rounds import RoundTemplate
from webapp.rounds.pulled import load_rounds


def _make(client, auth, estate_id, name="防火門巡查"):
    response = client.post(
        "/rounds/new",
        data={"csrf_token": auth.csrf("/rounds/"), "estate": str(estate_id), "name": name},
    )
    assert response.status_code == 302
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _codes(app, sign_ids):
    with app.app_context():
        return {
            r.item_id: r
            for r in db.session.scalars(
                sa.select(LabelCode).where(
                    LabelCode.item_type == "sign",
                    LabelCode.item_id.in_(sign_ids),
                    LabelCode.active,
                )
            )
        }


def test_supervisor_makes_a_custom_round_and_chooses_its_items(app, client, auth, seed, rounds):
    """Can a supervisor make a custom round, add signs by short code and from a search,
    remove one, and do phones pull the chosen items' codes in that order?"""
    auth.login("supervisor")
    tid = _make(client, auth, seed.estate_ids[0])
    codes = _codes(app, rounds[:3])
    url = f"/rounds/{tid}/items"
    first, second, third = (codes[i] for i in rounds[:3])
    response = client.post(
        url,
        data={
            "csrf_token": auth.csrf(f"/rounds/{tid}"),
            "codes": f"{first.short_code.lower()} {second.code}",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        sign = db.session.get(Sign, rounds[2])
        location = sign.location
    page = client.get(f"/rounds/{tid}?q={location}").get_data(as_text=True)
    assert f'value="sign:{rounds[2]}"' in page
    client.post(
        url,
        data={
            "csrf_token": auth.csrf(f"/rounds/{tid}"),
            "add": [f"sign:{rounds[2]}"],
            "remove": [f"sign:{rounds[0]}"],
        },
    )
    with app.app_context():
        template = db.session.get(RoundTemplate, tid)
        assert template.kind == "custom"
        assert template.items == [["sign", rounds[1]], ["sign", rounds[2]]]
        pulled = load_rounds(db.session, [tid])[tid]
        assert pulled["items"] == [second.code, third.code]
        assert pulled["checklists"]["1"]
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action.like("round.%"))
        ).all()
        assert "round.create" in actions and "round.items" in actions
    assert third.short_code  # the search found it by its location


def test_codes_of_another_estate_are_refused(app, client, auth, seed, rounds):
    """Is a label code from another estate refused rather than added?"""
    auth.login("supervisor")
    tid = _make(client, auth, seed.estate_ids[0])
    with app.app_context():
        other = db.session.scalar(
            sa.select(LabelCode).where(LabelCode.estate_id == seed.estate_ids[1], LabelCode.active)
        )
        foreign = other.code if other else "ZZZZZZZZZZZZZZZZ"
    response = client.post(
        f"/rounds/{tid}/items",
        data={"csrf_token": auth.csrf(f"/rounds/{tid}"), "codes": foreign},
        follow_redirects=True,
    )
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(RoundTemplate, tid).items == []


def test_patroller_cannot_make_or_edit_custom_rounds(app, client, auth, seed, rounds):
    """Are making a custom round and choosing its items for supervisors only?"""
    auth.login("patrol")
    response = client.post(
        "/rounds/new", data={"csrf_token": auth.csrf("/"), "estate": str(seed.estate_ids[0])}
    )
    assert response.status_code == 403
