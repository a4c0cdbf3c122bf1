"""Rounds reach phones through pull: templates with every checklist version, changes re-sent."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models.rounds import RoundTemplate
from webapp.rounds import service


def _pull_all(client, token):
    headers = {"Authorization": f"Bearer {token}"}
    changes, cursor = [], None
    while True:
        url = "/api/sync/pull?limit=1000" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=headers).get_json()
        changes += body["changes"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return changes, cursor


def _token(app, seed, username="patrol"):
    from webapp.models import Device, User

    with app.app_context():
        user = db.session.get(User, seed.user_ids[username])
        device, token = Device.issue(user, "t")
        db.session.add(device)
        db.session.commit()
        return token


def test_rounds_are_pulled_with_checklists_and_changes_come_again(app, client, seed, rounds):
    """Does a first pull carry the estate's rounds (with checklist versions), only of the
    user's estate, and does a checklist edit send the round again on the next pull?"""
    token = _token(app, seed)
    changes, cursor = _pull_all(client, token)
    pulled = [c for c in changes if c["type"] == "round"]
    assert {c["data"]["kind"] for c in pulled} == {"signage", "renovation", "vacant"}
    assert {c["data"]["estate_id"] for c in pulled} == {seed.estate_ids[0]}
    signage = next(c for c in pulled if c["data"]["kind"] == "signage")
    assert signage["data"]["slots"][0] == {"start": "08:00", "end": "12:00"}
    assert signage["data"]["checklists"]["1"][0]["key"] == "state"
    with app.app_context():
        template = db.session.get(RoundTemplate, int(signage["id"]))
        service.save_checklist(
            db.session, template, [{"key": "x", "type": "yesno", "zh": "好", "en": "Good"}]
        )
        db.session.commit()
    body = client.get(
        f"/api/sync/pull?cursor={cursor}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    again = [c for c in body["changes"] if c["type"] == "round"]
    assert [c["id"] for c in again] == [signage["id"]]
    assert set(again[0]["data"]["checklists"]) == {"1", "2"}
    assert again[0]["data"]["checklist_version"] == 2


def test_a_paused_round_is_a_tombstone(app, client, seed, rounds):
    """Does pausing a round remove it from phones on their next pull?"""
    token = _token(app, seed)
    _changes, cursor = _pull_all(client, token)
    with app.app_context():
        template = db.session.scalar(
            sa.select(RoundTemplate).where(RoundTemplate.estate_id == seed.estate_ids[0])
        )
        template.active = False
        tid = template.id
        db.session.commit()
    body = client.get(
        f"/api/sync/pull?cursor={cursor}", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    gone = [c for c in body["changes"] if c["type"] == "round"]
    assert gone == [
        {
            "type": "round",
            "id": str(tid),
            "version": gone[0]["version"],
            "deleted": True,
            "data": None,
        }
    ]
