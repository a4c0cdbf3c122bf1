"""A check's record page: everything the check holds, reached from the item's history, kept
to the reader's estates and roles."""

from __future__ import annotations

import re

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import LabelCode, Unit


def _issue_check(walked):
    return walked["check_ids"][1]  # the renovation check with a 否, a note, a photo


def test_the_record_page_shows_what_the_check_holds(client, auth, walked):
    """Does the page show the item, the round and its window, the inspector, how the unit was
    reached, the phone's and the server's times, each answer (the failed one marked), the note
    and the photo?"""
    auth.login("supervisor")
    response = client.get(f"/records/checks/{_issue_check(walked)}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert walked["renovating_label"] in page
    assert "裝修巡檢" in page and "陳志明" in page
    assert "手動選取" in page and "東牆打鑿，已勒令停止" in page
    assert "未破壞承重牆" in page and 'class="row-bad"' in page
    assert walked["photo"] in page
    assert "09:30" in page


def test_the_items_history_links_each_check_to_its_record(client, auth, walked, app):
    auth.login("supervisor")
    with app.app_context():
        code = db.session.scalar(
            sa.select(LabelCode.code).where(
                LabelCode.item_type == "unit",
                LabelCode.item_id == walked["renovating"],
                LabelCode.active,
            )
        )
    page = client.get(f"/q/{code}").get_data(as_text=True)
    linked = set(re.findall(r"/records/checks/([0-9a-f-]{36})", page))
    assert set(walked["check_ids"][:2]) <= linked


def test_another_estates_check_or_a_bad_id_is_not_found(client, auth, walked, app):
    from webapp.models import Estate, User

    with app.app_context():
        user = User(username="sup-far", role="supervisor", display_name="遠方主管")
        user.set_password("sup-far-password")
        user.estates = [db.session.get(Estate, walked["other_estate"])]
        db.session.add(user)
        db.session.commit()
        assert db.session.get(Unit, walked["renovating"]).estate_id == walked["estate"]
    auth.login("sup-far", "sup-far-password")
    assert client.get(f"/records/checks/{_issue_check(walked)}").status_code == 404
    assert client.get("/records/checks/" + "x" * 300).status_code == 404
    assert client.get("/records/checks/%00").status_code in (400, 404)


def test_patrollers_do_not_open_record_pages(client, auth, walked):
    auth.login("patrol")
    assert client.get(f"/records/checks/{_issue_check(walked)}").status_code == 403
