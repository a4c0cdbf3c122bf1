"""Text longer than its column is refused with the field's message, never cut to fit: posted
one character over its limit, a desk's borrower, a purpose, a note, a round's name was stored
cut (what the person typed, lost without a word). Each door now answers 422 with "at most n
characters" beside the field and the text kept as typed; exactly the limit is still taken."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token_from
from tests.sync.conftest import codes_of, finding_op, issue_device, lend_op
from tests.webapp.review.conftest import make_finding
from tests.webapp.text_doors import (
    LEND,
    LOAN_REQUEST,
    estate_id,
    first_unit,
    round_form,
    template_id,
)
from webapp.extensions import db
from webapp.models.desk import DeskItem
from webapp.models.review import FindingEvent
from webapp.models.rounds import RoundTemplate
from webapp.models.sync import Finding, KeyEvent


def _item(app, client, auth, seed) -> int:
    """A parcel received at the desk (waiting for a supervisor), by the desk's own form."""
    auth.login("desk")
    data = {
        "csrf_token": auth.csrf("/desk/"),
        "estate": str(estate_id(seed)),
        "unit": first_unit(app, seed).label,
        "kind": "parcel",
        "quantity": "1",
    }
    assert client.post("/desk/items", data=data).status_code in (302, 303)
    auth.logout()
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(DeskItem.id)))


def receive(field):
    def door(app, client, auth, seed, value):
        data = {"estate": str(estate_id(seed)), "unit": first_unit(app, seed).label, "kind": "mail"}
        return "/desk/items", {**data, "quantity": "1", field: value}

    door.__name__ = f"receive_{field}"
    return door


def decide(app, client, auth, seed, value):
    return f"/desk/items/{_item(app, client, auth, seed)}/decide", {
        "decision": "refuse",
        "note": value,
    }


def collect(field):
    def door(app, client, auth, seed, value):
        data = {"collector_name": "Mr Lee", "note": "", field: value}
        return f"/desk/items/{_item(app, client, auth, seed)}/collect", data

    door.__name__ = f"collect_{field}"
    return door


def give_back(app, client, auth, seed, value):
    return f"/desk/items/{_item(app, client, auth, seed)}/return", {"note": value}


def borrowing(name: str, form: tuple[str, dict]):
    """Doors of a form that names a borrower and a purpose (a lend, a loan request)."""

    def factory(field):
        def door(app, client, auth, seed, value):
            url, data = form
            return url, {**data, field: value}

        door.__name__ = f"{name}_{field}"
        return door

    return factory


lend = borrowing("lend", LEND)
loan_request = borrowing("loan_request", LOAN_REQUEST)


def approve(field):
    def door(app, client, auth, seed, value):
        return "/keys/approve", {"codes": "", "borrower_name": "", "note": "", field: value}

    door.__name__ = f"approve_{field}"
    return door


def copy_request(app, client, auth, seed, value):
    return "/keys/requests/copy", {"codes": "", "copies": "1", "purpose": value}


def round_name(app, client, auth, seed, value):
    return round_form(app, seed, value)


def custom_round(app, client, auth, seed, value):
    return "/rounds/new", {"estate": str(estate_id(seed)), "name": value}


def checklist(field):
    def door(app, client, auth, seed, value):
        data = {"zh": "門關好嗎", "en": "Door shut?", "type": "yesno", "key": "", "category": ""}
        return f"/rounds/{template_id(app, seed)}/checklist", {**data, field: value}

    door.__name__ = f"checklist_{field}"
    return door


def handover_task(app, client, auth, seed, value):
    return "/desk/handover", {"tasks": f"換燈泡\n{value}", "note": ""}


def handover_note(app, client, auth, seed, value):
    return "/desk/handover", {"tasks": "", "note": value}


# Each door: who posts, the form with ``value`` in one text, and that text's limit.
DOORS = [
    ("desk", receive("resident_name"), 120),
    ("desk", receive("description"), 200),
    ("desk", receive("received_from"), 120),
    ("supervisor", decide, 500),
    ("desk", collect("collector_name"), 120),
    ("desk", collect("note"), 500),
    ("desk", give_back, 500),
    ("desk", lend("borrower_name"), 120),
    ("desk", lend("purpose"), 200),
    ("desk", loan_request("borrower_name"), 120),
    ("desk", loan_request("purpose"), 200),
    ("desk", copy_request, 200),
    ("engineer", approve("borrower_name"), 120),
    ("engineer", approve("note"), 200),
    ("supervisor", round_name, 120),
    ("supervisor", custom_round, 120),
    ("supervisor", checklist("zh"), 120),
    ("supervisor", checklist("en"), 120),
    ("supervisor", checklist("category"), 64),
    ("desk", handover_task, 300),
    ("desk", handover_note, 2000),
]


@pytest.mark.parametrize(("user", "door", "limit"), DOORS, ids=[d[1].__name__ for d in DOORS])
def test_text_one_over_its_limit_is_refused_beside_its_field_not_cut(
    app, client, auth, seed, user, door, limit
):
    """Is a text one character over its column answered 422 with "at most n characters", the
    text shown back whole — and one of exactly the limit not refused for its length?"""
    message = f"最多 {limit} 個字元"
    url, data = door(app, client, auth, seed, "長" * limit)
    auth.login(user)
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    control = client.post(url, data={**data, "csrf_token": token})
    assert message not in control.get_data(as_text=True)
    auth.logout()
    over = "長" * (limit - 1) + "尾" + "X"
    url, data = door(app, client, auth, seed, over)
    auth.login(user)
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    response = client.post(url, data={**data, "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 422, response.status_code
    assert message in page
    assert over in page  # kept as typed, not cut


def test_a_refused_name_leaves_the_round_as_it_was(app, client, auth, seed):
    """Is a round's name of 121 characters refused whole — the round keeps its name, not the
    first 120 characters of the new one?"""
    round_id = template_id(app, seed)
    with app.app_context():
        before = db.session.get(RoundTemplate, round_id).name
    auth.login("supervisor")
    url, data = round_name(app, client, auth, seed, "長" * 121)
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    assert client.post(url, data={**data, "csrf_token": token}).status_code == 422
    with app.app_context():
        assert db.session.get(RoundTemplate, round_id).name == before


def test_a_search_over_its_length_is_a_400_naming_it(app, client, auth, seed):
    """A query string's text over its length: a 400 naming the argument, not a search for the
    first n characters of it."""
    auth.login("desk")
    response = client.get("/desk/", query_string={"q": "長" * 61})
    assert response.status_code == 400
    assert "q" in response.get_data(as_text=True)
    assert client.get("/desk/", query_string={"q": "長" * 60}).status_code == 200


@pytest.mark.parametrize(
    ("action", "field", "message"),
    [("move", "note", "備註最多 4,000 個字元"), ("comments", "body", "留言最多 4,000 字")],
)
def test_a_findings_note_over_4000_is_refused_and_shown_back(
    app, client, auth, seed, action, field, message
):
    """Is a move's note (was cut to 4,000 silently) or a comment of 4,001 characters refused
    beside the form, kept as typed, and the finding left as it was?"""
    with app.app_context():
        finding_id = make_finding(estate_id(seed))
    auth.login("supervisor")
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    over = "長" * 4000 + "尾"
    data = {"csrf_token": token, "to": "closed", field: over}
    response = client.post(f"/review/findings/{finding_id}/{action}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and over in page
    with app.app_context():
        assert db.session.get(Finding, finding_id).status == "open"
        count = sa.select(sa.func.count()).where(FindingEvent.finding_id == finding_id)
        assert db.session.scalar(count.select_from(FindingEvent)) == 0


def test_a_phone_op_over_its_length_is_rejected_not_stored_cut(app, client, seed):
    """A phone's lend with a borrower of 121 characters or a finding's note of 4,001: is each
    rejected (kept in quarantine) naming its field, with nothing stored cut?"""
    keys = codes_of(app, estate_id(seed), "key", n=1, status="in")
    units = codes_of(app, estate_id(seed), "unit", n=1)
    for username, sent, field in [
        ("desk", lend_op(keys[0], name="陳" * 121), "borrower_name"),
        ("patrol", finding_op(units[0], note="漏" * 4001), "note"),
    ]:
        device_id, token = issue_device(app, username)
        (result,) = client.post(
            "/api/sync/push",
            json={"device_id": device_id, "ops": [sent]},
            headers={"Authorization": f"Bearer {token}"},
        ).get_json()["results"]
        assert result["status"] == "rejected" and field in str(result), result
    with app.app_context():
        assert not db.session.scalars(
            sa.select(KeyEvent).where(KeyEvent.borrower_name.like("陳陳陳%"))
        ).all()
        assert not db.session.scalars(sa.select(Finding).where(Finding.note.like("漏漏漏%"))).all()
