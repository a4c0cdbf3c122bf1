"""A check's record page: everything the check holds, reached from the item's history, kept
to the reader's estates and roles."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

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


def test_a_coverage_cell_opens_the_check_that_decided_it(client, auth, walked, app):
    """Does the sign's first cell of the day link, through /records/cell, to the record of a
    check of that sign made in that window; and does a made-up cell answer 404?"""
    import html

    from webapp.models import Sign

    auth.login("supervisor")
    day = walked["day"].isoformat()
    page = client.get(f"/rounds/coverage?estate={walked['estate']}&date={day}")
    assert page.status_code == 200
    with app.app_context():
        sign_id = db.session.scalar(
            sa.select(Sign.id).where(Sign.estate_id == walked["estate"], Sign.active)
        )
    links = [
        html.unescape(link)
        for link in re.findall(r'href="(/records/cell\?[^"]+)"', page.get_data(as_text=True))
    ]
    links = [
        link for link in links if parse_qs(urlsplit(link).query)["item"] == [f"sign:{sign_id}"]
    ]
    assert links, "the sign's checked cell links to its record"
    opened = client.get(links[0])
    assert opened.status_code == 302
    check_id = opened.headers["Location"].rsplit("/", 1)[1]
    with app.app_context():
        from webapp.models.sync import Check

        decided = db.session.get(Check, check_id)
        assert (decided.item_type, decided.item_id) == ("sign", sign_id)
        window_start = datetime.fromisoformat(parse_qs(urlsplit(links[0]).query)["start"][0])
        assert window_start <= decided.occurred_at < window_start + timedelta(hours=4)
    assert walked["sign"] in client.get(opened.headers["Location"]).get_data(as_text=True)
    made_up = links[0].replace("item=sign", "item=unit")
    assert made_up != links[0]
    assert client.get(made_up).status_code == 404
    assert client.get("/records/cell").status_code == 404  # no cell named
    junk = client.get("/records/cell?template=x&start=y&item=z")
    assert junk.status_code == 400 and "template" in junk.get_data(as_text=True)


def test_a_refused_visit_is_no_visit(client, auth, walked, app):
    """Does a vacant unit whose only check was refused stay on the "not visited" list, and
    leave it once a patroller gets in? (A refusal took it off.)"""
    import uuid
    from datetime import UTC

    from sync.merge import Actor, push
    from webapp.models import Estate
    from webapp.models.sync import Check

    def listed(label: str) -> bool:
        page = client.get(f"/review/tables/vacant.csv?days=7&estate={walked['estate']}")
        assert page.status_code == 200
        return label in page.get_data(as_text=True)

    with app.app_context():
        estate = db.session.get(Estate, walked["estate"])
        unit = db.session.scalars(
            sa.select(Unit).where(Unit.estate_id == estate.id, Unit.active).order_by(Unit.id)
        ).all()[5]
        unit.status = "vacant"
        # A unit nobody has visited: its demo history goes.
        db.session.execute(
            sa.delete(Check).where(Check.item_type == "unit", Check.item_id == unit.id)
        )
        label = unit.label
        code = db.session.scalar(
            sa.select(LabelCode.code).where(
                LabelCode.item_type == "unit", LabelCode.item_id == unit.id, LabelCode.active
            )
        )
        db.session.commit()

    def visit(result, answers):
        op = {
            "op_id": str(uuid.uuid4()),
            "type": "check.record",
            "occurred_at": datetime.now(UTC).isoformat(),
            "payload": {"id": str(uuid.uuid4()), "code": code, "method": "scan",
                        "result": result, "answers": {"_v": 1, **answers}, "photos": [],
                        "round_id": str(walked["vacant_round"])},
        }  # fmt: skip
        with app.app_context():
            answered = push(
                db.session, Actor(walked["patrol"], [walked["estate"]]), [op], datetime.now(UTC)
            )
            assert answered[0]["status"] == "applied", answered
            db.session.commit()

    auth.login("supervisor")
    assert listed(label), "never visited"
    visit("no_access", {"no_access": "refused"})
    assert listed(label), "refused: still not visited"
    visit("ok", {"shut": "yes"})
    assert not listed(label), "visited"


def test_a_failed_answer_names_its_severity(client, auth, walked):
    """Is the 否 to 未破壞承重牆 (a 重大違規 question) marked with its severity, critical?"""
    auth.login("supervisor")
    page = client.get(f"/records/checks/{_issue_check(walked)}").get_data(as_text=True)
    row = page.split('class="row-bad"', 1)[1].split("</tr>", 1)[0]
    assert "未破壞承重牆" in row and 'data-severity="critical"' in row and "緊急" in row


def test_the_record_page_in_english_names_things_in_english(client, auth, walked):
    """With the interface in English, are the result, the method and the severity named in
    English — no stored or vocabulary Chinese where a word of the interface stands?"""
    auth.login("supervisor")
    client.post("/language", data={"locale": "en", "csrf_token": auth.csrf("/")})
    page = client.get(f"/records/checks/{_issue_check(walked)}").get_data(as_text=True)
    assert "Issue" in page and "Picked from a list" in page and "Critical" in page
    for chinese in ("有問題", "手動選取", "緊急"):
        assert chinese not in page, chinese
