"""Another estate's records are out of reach through what a form or a link sends, not only
through the URL (test_access.py walks the URL's ids).

Every POST route is posted, as each single-estate role it allows, with every field it reads
naming the second estate's things (its id, its keys' codes and ids, its units, its buildings,
its people, its alerts, phones and quarantined records), beside values that would otherwise be
accepted, with and without ``?estate=`` of the second estate: nothing of the second estate may
change. Every GET route is read with each parameter it reads naming the second estate's
things: no text of the second estate may show. A regional supervisor appointed to the first and
a third estate is held to them the same way. The routes and the names they read come from
``app.url_map`` and a first walk (tests/fuzz/test_routes.py), so a new route or field is held
to the walls without a new line here.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import AuthActions, csrf_token_from
from tests.fuzz import test_routes as walk
from tests.webapp.test_asvs import DEMO_USER, _rules, _url
from webapp import alert_events
from webapp.extensions import db
from webapp.models import (
    Building,
    Device,
    Estate,
    Key,
    LabelCode,
    Sign,
    Unit,
    User,
    user_estate,
)
from webapp.models.alerts import AlertDelivery
from webapp.models.desk import DeskItem
from webapp.models.key_requests import KeyRequest
from webapp.models.sync import Check, Finding, KeyEvent, QuarantinedOp
from webapp.models.types import utcnow

# Posting these ends the walker's session or is a login of its own.
NOT_POSTED = {"auth.logout", "auth.login", "i18n.set_language", "api.device_login"}
SINGLE = {"patroller": "patrol", **{r: u for r, u in DEMO_USER.items() if r != "patroller"}}
MARK = "ZQXOTHER"  # the second estate's text: found on a page, it leaked


def _second_estate(app, seed) -> dict:
    """The second estate's things a form or a link could name, made where the seed has none
    (a phone of its patroller, a quarantined op, a bell alert of its supervisor)."""
    other = seed.estate_ids[1]
    with app.app_context():
        patrol2 = db.session.scalar(sa.select(User).where(User.username == "patrol2"))
        device, _token = Device.issue(patrol2, "手機")
        db.session.add(device)
        quarantined = QuarantinedOp(
            op_id=str(uuid.uuid4()), content_hash="0" * 64, type="check.record",
            device_id=None, user_id=patrol2.id, estate_id=other, error="unknown_code",
            message="no such code", raw={}, received_at=utcnow(),
        )  # fmt: skip
        db.session.add(quarantined)
        supervisor2 = db.session.scalar(sa.select(User).where(User.username == "supervisor2"))
        event, _new = alert_events.record(
            db.session, "critical_finding", f"critical_finding:{uuid.uuid4()}",
            occurred_at=utcnow(), estate_id=other, detail={},
        )  # fmt: skip
        db.session.flush()
        delivery = AlertDelivery(
            key=f"alert:{event.id}:{supervisor2.id}:bell", event_id=event.id,
            user_id=supervisor2.id, estate_id=other, channel="bell", state="sent",
        )  # fmt: skip
        db.session.add(delivery)
        db.session.flush()

        def ids(column, where):
            return [str(i) for i in db.session.scalars(sa.select(column).where(where).limit(3))]

        codes = ids(LabelCode.code, (LabelCode.estate_id == other) & (LabelCode.item_type == "key"))
        unit = db.session.scalars(sa.select(Unit).where(Unit.estate_id == other)).first()
        values = {
            "estate": str(other),
            "estates": str(other),
            "building": ids(Building.id, Building.estate_id == other)[0],
            "building_id": ids(Building.id, Building.estate_id == other)[0],
            "key": ids(Key.id, Key.estate_id == other),
            "code": codes[0],
            "codes": "\n".join(codes),
            "unit": unit.label,
            "ids": ids(Finding.id, Finding.estate_id == other),
            "id": str(quarantined.id),
            "delivery": str(delivery.id),
            "device_id": device.id,
            "incoming_username": "supervisor2",
            "incoming_password": "supervisor2-demo",
        }
        db.session.commit()
    return values


# What a form would otherwise accept, so that only the second estate's names can refuse it.
PLAUSIBLE = {
    "borrower_name": "陳師傅", "borrower_type": "contractor", "purpose": "維修",
    "due_back": "2030-01-01T10:00", "id_checked": "1", "kind": "parcel", "quantity": "1",
    "resident_name": "李先生", "description": "一箱", "received_from": "快遞",
    "role": "patroller", "password": "a-long-password-1", "display_name": "某人",
    "username": f"walls-{uuid.uuid4().hex[:8]}", "name": "某處", "timezone": "Asia/Taipei",
    "copies": "1", "hours": "2", "to": "dispatched", "department": "engineering",
    "due": "2030-01-01", "owner_name": "業主", "id_type": "hk_identity_card", "id_last4": "123A",
    "template": "address-24", "skip": "0", "reason": "damaged", "action": "reprint",
    "outgoing_password": "desk-demo", "note": "備註", "active": "1", "status": "vacant",
    "floor": "1", "room": "101", "entrance": "1", "key_class": "unit", "category": "fire",
    "location": "大堂", "floors": "10", "sort_key": "1",
}  # fmt: skip
# A new password ends its user's sessions and locks out their walker: the URL's user (the first
# estate's patroller) keeps theirs.
KEPT = {"admin.user_edit": {"password": ""}}


def _snapshot(app, other: int) -> dict[str, str]:
    """A digest of every row of the second estate, of its people and their phones."""
    out = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if "estate_id" in table.c:
                rows = db.session.execute(sa.select(table).where(table.c.estate_id == other))
                out[table.name] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
        people = sa.select(user_estate.c.user_id).where(user_estate.c.estate_id == other)
        users = db.session.execute(
            sa.select(
                User.id, User.role, User.display_name, User.active, User.password_hash,
                User.all_estates,
            ).where(User.id.in_(people))
        )  # fmt: skip
        out["users"] = repr(sorted(users))
        out["user_estate"] = repr(sorted(db.session.execute(sa.select(user_estate))))
        phones = sa.select(Device.id, Device.revoked_at).where(Device.user_id.in_(people))
        out["devices"] = repr(sorted(db.session.execute(phones)))
        out["estate"] = repr(db.session.execute(sa.select(Estate).where(Estate.id == other)).all())
        db.session.remove()
    return out


def test_no_field_or_parameter_of_any_post_route_changes_another_estate(app, seed):
    """Posted as each single-estate role a route allows, every field it reads naming the second
    estate's things (and ?estate= the second): does anything of the second estate change,
    or does any post answer 5xx?"""
    walk._record_args(app)
    samples = walk._samples(app, seed)
    other = _second_estate(app, seed)
    clients, tokens = {}, {}

    def logged_in(role: str):
        """The role's client and token, logged in again if a post ended its session (the
        walk's empty post to /admin/users/<id>/active deactivates the URL's user, the first
        estate's patroller, until the next post reactivates them)."""
        page = clients[role].get("/account/password") if role in clients else None
        if page is None or page.status_code != 200:
            clients[role] = app.test_client()
            assert AuthActions(clients[role]).login(SINGLE[role]).status_code in (302, 303)
            page = clients[role].get("/account/password")
        tokens[role] = csrf_token_from(page.get_data(as_text=True))
        return clients[role], tokens[role]

    rules = sorted(
        (r for r in app.url_map.iter_rules() if "POST" in r.methods),
        key=lambda r: r.rule,
    )
    before = _snapshot(app, seed.estate_ids[1])
    problems, posted = [], 0
    for rule in rules:
        if rule.endpoint in NOT_POSTED:
            continue
        spec = app.view_functions[rule.endpoint].access
        url = walk.sample_url(rule, spec, samples)
        for role in sorted(spec.roles if not spec.public else ()):
            client, token = logged_in(role)
            walk._Recorder.seen = set()
            client.post(url, data={"csrf_token": token})
            names = sorted(walk._Recorder.seen - {"csrf_token"})
            form = {n: other.get(n, PLAUSIBLE.get(n, "1")) for n in names}
            form |= KEPT.get(rule.endpoint, {})
            for query in ("", f"?estate={seed.estate_ids[1]}"):
                response = client.post(url + query, data={**form, "csrf_token": token})
                posted += 1
                if response.status_code >= 500:
                    problems.append(f"{role} POST {url}{query}: {response.status_code}")
    after = _snapshot(app, seed.estate_ids[1])
    changed = sorted(name for name in after if after[name] != before.get(name))
    # Every walker posted as itself to the end (no post ended its session).
    print({r: c.get("/account/password").status_code for r, c in clients.items()})
    assert all(c.get("/account/password").status_code == 200 for c in clients.values())
    assert posted > 100
    assert not problems and not changed, (problems, changed)


def _mark(app, other: int) -> None:
    """Give the second estate's text a mark a page cannot show by chance (and it an item at
    its desk and a request to its engineering: the small demo has neither there)."""
    with app.app_context():
        unit = db.session.scalars(sa.select(Unit).where(Unit.estate_id == other)).first()
        desk2 = db.session.scalar(sa.select(User.id).where(User.username == "supervisor2"))
        key = db.session.scalar(
            sa.select(Key).where(Key.estate_id == other, Key.key_class == "equipment_room")
        )
        db.session.add_all([
            DeskItem(
                estate_id=other, unit_id=unit.id, kind="parcel", description="", quantity=1,
                resident_name=f"{MARK}resident", received_from="", received_at=utcnow(),
                received_by_id=desk2, status="held", created_at=utcnow(),
            ),
            KeyRequest(
                estate_id=other, key_id=key.id, kind="loan", borrower_name=f"{MARK}borrower",
                borrower_type="contractor", hours=2, purpose="repair", requested_by_id=desk2,
                created_at=utcnow(),
            ),
        ])  # fmt: skip
        db.session.get(Estate, other).name = f"{MARK}estate"
        updates = [
            (Building, {"name": f"{MARK}b"}),
            (Key, {"name": f"{MARK}key"}),
            (Sign, {"location": f"{MARK}sign"}),
            (Finding, {"note": f"{MARK}note", "location": f"{MARK}place"}),
            (Check, {"note": f"{MARK}check"}),
            (DeskItem, {"description": f"{MARK}item"}),
            (KeyEvent, {"borrower_name": f"{MARK}borrower"}),
        ]
        for model, values in updates:
            db.session.execute(sa.update(model).where(model.estate_id == other).values(**values))
        db.session.execute(
            sa.update(Key)
            .where(Key.estate_id == other, Key.holder_name.is_not(None))
            .values(holder_name=f"{MARK}holder")
        )
        only_there = sa.select(user_estate.c.user_id).where(
            user_estate.c.estate_id == other,
            ~user_estate.c.user_id.in_(
                sa.select(user_estate.c.user_id).where(user_estate.c.estate_id != other)
            ),
        )
        db.session.execute(
            sa.update(User).where(User.id.in_(only_there)).values(display_name=f"{MARK}person")
        )
        db.session.commit()


_LEAK = re.compile(
    f"{MARK}(estate|b|key|sign|note|place|check|item|resident|borrower|holder|person)"
)


def _links(app, other: int) -> dict[str, str]:
    """Parameters naming the second estate's things (the mark itself as a search: a page
    repeats its search, so only a marked record's text counts as a leak)."""
    with app.app_context():
        code = db.session.scalar(
            sa.select(LabelCode.code).where(LabelCode.estate_id == other, LabelCode.active)
        )
        unit = db.session.scalar(sa.select(Unit.id).where(Unit.estate_id == other))
        building = db.session.scalar(sa.select(Building.id).where(Building.estate_id == other))
        today = utcnow().date()
    return {
        "estate": str(other), "key": code, "code": code, "codes": code, "unit": str(unit),
        "building": str(building), "q": MARK, "user": "patrol2",
        "start": (today - timedelta(days=40)).isoformat(), "end": today.isoformat(),
    }  # fmt: skip


def _read_walk(app, seed, who: str, allowed) -> tuple[int, list[str]]:
    """Every GET route ``allowed`` for ``who``, plain and with each parameter it reads (and
    all of them) naming the second estate's things: the leaks and 5xx found."""
    walk._record_args(app)
    links = _links(app, seed.estate_ids[1])
    client = app.test_client()
    assert AuthActions(client).login(who).status_code in (302, 303)
    read, found = 0, []
    for rule, spec in _rules(app):
        if "GET" not in rule.methods or spec.public or not allowed(spec):
            continue
        url = _url(app, rule, spec, seed.estate_ids[0])
        walk._Recorder.seen = set()
        client.get(url).close()
        names = sorted(n for n in walk._Recorder.seen if n in links)
        queries = [""] + [f"{n}={links[n]}" for n in names]
        if len(names) > 1:
            queries.append("&".join(f"{n}={links[n]}" for n in names))
        for query in queries:
            full = f"{url}{'&' if '?' in url else '?'}{query}" if query else url
            response = client.get(full)
            body = response.get_data(as_text=True) if response.mimetype != "application/pdf" else ""
            read += 1
            if response.status_code >= 500:
                found.append(f"{who} GET {full}: {response.status_code}")
            leak = _LEAK.search(body)
            if leak:
                found.append(f"{who} GET {full}: {body[max(0, leak.start() - 60) : leak.end()]}")
            response.close()
    return read, found


@pytest.mark.parametrize("role", sorted(SINGLE))
def test_no_parameter_of_any_page_shows_another_estate(app, seed, role):
    """Read as a role of the first estate, with each parameter naming the second estate's
    things (its id, a key's code, a unit, a building, its patroller, a search for its text):
    does any page, fragment or export show the second estate's text?"""
    _mark(app, seed.estate_ids[1])
    read, found = _read_walk(app, seed, SINGLE[role], lambda spec: role in spec.roles)
    assert read > 10 and not found, found


def test_a_regional_supervisor_sees_only_the_estates_they_are_appointed_to(app, seed):
    """The regional supervisor appointed to the first estate and a third, not the second: does
    any supervisor's page, with any parameter naming the second, show its text?"""
    other = seed.estate_ids[1]
    with app.app_context():
        third = Estate(name="第三苑", timezone="Asia/Taipei")
        db.session.add(third)
        db.session.flush()
        building = Building(estate_id=third.id, name="1棟")
        db.session.add(building)
        db.session.flush()
        db.session.add(
            Unit(estate_id=third.id, building_id=building.id, entrance="1", floor=1, room="101")
        )
        regional = db.session.scalar(sa.select(User).where(User.username == "regional"))
        regional.estates = [e for e in regional.estates if e.id != other] + [third]
        db.session.commit()
    _mark(app, other)
    read, found = _read_walk(app, seed, "regional", lambda spec: "supervisor" in spec.roles)
    assert read > 10 and not found, found
