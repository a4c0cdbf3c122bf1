"""Every route declares who may call it, and no route leaks another estate's objects."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from webapp.access import ALL_ROLES, Access
from webapp.extensions import db
from webapp.models import Building, Estate, Key, LabelCode, Sign, Unit, User, user_estate
from webapp.models.desk import DeskHandover, DeskItem
from webapp.models.renovation import RenovationPermit
from webapp.models.sync import Check, Finding
from webapp.models.types import utcnow

# How to find, in a given estate, a value for each kind of URL argument a route may scope.
# A route whose argument names a kind missing here fails test_every_route_declares_access.
SAMPLES = {
    "estate": lambda estate_id: estate_id,
    "building": lambda e: db.session.scalar(sa.select(Building.id).where(Building.estate_id == e)),
    "unit": lambda e: db.session.scalar(sa.select(Unit.id).where(Unit.estate_id == e)),
    "sign": lambda e: db.session.scalar(sa.select(Sign.id).where(Sign.estate_id == e)),
    "key": lambda e: db.session.scalar(sa.select(Key.id).where(Key.estate_id == e)),
    "code": lambda e: db.session.scalar(
        sa.select(LabelCode.code).where(LabelCode.estate_id == e, LabelCode.active)
    ),
    "finding": lambda e: db.session.scalar(
        sa.select(Finding.id).where(Finding.estate_id == e).order_by(Finding.id)
    ),
    "round": lambda e: _round_of(e),
    "check": lambda e: db.session.scalar(
        sa.select(Check.id).where(Check.estate_id == e).order_by(Check.id)
    ),
    # The front desk's items and handovers (the demo logs some at the first estate's desk).
    "desk_item": lambda e: db.session.scalar(
        sa.select(DeskItem.id).where(DeskItem.estate_id == e).order_by(DeskItem.id)
    ),
    "desk_handover": lambda e: db.session.scalar(
        sa.select(DeskHandover.id).where(DeskHandover.estate_id == e).order_by(DeskHandover.id)
    ),
    # A request to engineering (the seed has none: one is made, asked by the estate's desk).
    "key_request": lambda e: _key_request_of(e),
    # The renovation register (the demo gives every estate's renovating units a permit).
    "permit": lambda e: db.session.scalar(
        sa.select(RenovationPermit.id)
        .where(RenovationPermit.estate_id == e)
        .order_by(RenovationPermit.id)
    ),
    # A rectification notice (the small seed's first estate renovates nothing: one is made).
    "notice": lambda e: _notice_of(e),
    # A completion acceptance (none in the seed: one is made, on the unit of the notice's).
    "acceptance": lambda e: _acceptance_of(e),
    # A user who works only on that estate (admins manage users who share an estate with them).
    "user": lambda e: db.session.scalar(
        sa.select(User.id)
        .join(user_estate)
        .where(user_estate.c.estate_id == e)
        .where(~User.id.in_(sa.select(user_estate.c.user_id).where(user_estate.c.estate_id != e)))
        .order_by(User.id)
    ),
}


def _key_request_of(estate_id):
    from webapp.models.key_requests import KeyRequest

    found = db.session.scalar(sa.select(KeyRequest.id).where(KeyRequest.estate_id == estate_id))
    if found is not None:
        return found
    key = db.session.scalar(
        sa.select(Key).where(Key.estate_id == estate_id, Key.key_class == "equipment_room")
    )
    asker = db.session.scalar(
        sa.select(User.id).join(user_estate).where(user_estate.c.estate_id == estate_id)
    )
    request = KeyRequest(
        estate_id=estate_id, key_id=key.id, kind="loan", borrower_name="陳師傅",
        borrower_type="contractor", hours=2, purpose="repair", requested_by_id=asker,
    )  # fmt: skip
    db.session.add(request)
    db.session.commit()
    return request.id


def _notice_of(estate_id):
    from webapp.models.renovation import RectificationNotice

    found = db.session.scalar(
        sa.select(RectificationNotice.id).where(RectificationNotice.estate_id == estate_id)
    )
    if found is not None:
        return found
    unit = db.session.scalar(sa.select(Unit).where(Unit.estate_id == estate_id).order_by(Unit.id))
    user = db.session.scalar(
        sa.select(User.id).join(user_estate).where(user_estate.c.estate_id == estate_id)
    )
    notice = RectificationNotice(
        id="00000000-0000-4000-8000-00000000a11c", estate_id=estate_id, unit_id=unit.id,
        year=2026, seq=999, rules=["facade"], deadline=date(2026, 12, 31), op_id="sample",
        user_id=user, occurred_at=utcnow(), received_at=utcnow(),
    )  # fmt: skip
    db.session.add(notice)
    db.session.commit()
    return notice.id


def _acceptance_of(estate_id):
    from webapp.models.renovation import Acceptance

    found = db.session.scalar(sa.select(Acceptance.id).where(Acceptance.estate_id == estate_id))
    if found is not None:
        return found
    unit = db.session.scalar(sa.select(Unit).where(Unit.estate_id == estate_id).order_by(Unit.id))
    user = db.session.scalar(
        sa.select(User.id).join(user_estate).where(user_estate.c.estate_id == estate_id)
    )
    acceptance = Acceptance(
        id=f"00000000-0000-4000-8000-{estate_id:012d}", estate_id=estate_id, unit_id=unit.id,
        checklist_version=1, answers={}, result="passed", engineer="林工", op_id=f"acc{estate_id}",
        user_id=user, occurred_at=utcnow(), received_at=utcnow(),
    )  # fmt: skip
    db.session.add(acceptance)
    db.session.commit()
    return acceptance.id


def _round_of(estate_id):
    from webapp.models import Estate
    from webapp.rounds.service import ensure_defaults

    ensure_defaults(db.session, db.session.get(Estate, estate_id))
    db.session.commit()
    from webapp.models.rounds import RoundTemplate

    return db.session.scalar(
        sa.select(RoundTemplate.id)
        .where(RoundTemplate.estate_id == estate_id)
        .order_by(RoundTemplate.id)
    )


# Arguments that name no estate object (a file name, a language, a page number).
PLAIN = "plain"


def declaration_problems(app) -> list[str]:
    """Routes that do not say who may call them, or what their URL arguments name."""
    problems = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        spec = getattr(app.view_functions[rule.endpoint], "access", None)
        if not isinstance(spec, Access):
            problems.append(f"{rule.rule} ({rule.endpoint}) declares no access")
            continue
        for arg in sorted(rule.arguments):
            kind = spec.scope.get(arg)
            if kind is None:
                problems.append(f"{rule.rule}: <{arg}> is not declared in scope=")
            elif kind != PLAIN and kind not in SAMPLES:
                problems.append(f"{rule.rule}: <{arg}> names unknown kind {kind!r}")
    return problems


def test_every_route_declares_access(app):
    """Does every route say who may call it and what each URL argument identifies?"""
    assert declaration_problems(app) == []


def test_a_route_without_a_declaration_is_caught_and_refused(app, client):
    """Would a new route without a declaration fail the walk, and be refused at run time?"""
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert declaration_problems(app) == ["/forgotten (forgotten) declares no access"]
    assert client.get("/forgotten").status_code == 403


def test_a_scoped_argument_must_be_declared(app):
    """Would a route with an undeclared object argument fail the walk?"""
    from webapp.access import roles

    @roles("admin")
    def peek(unit_id):
        return str(unit_id)

    app.add_url_rule("/peek/<int:unit_id>", "peek", peek)
    assert declaration_problems(app) == ["/peek/<int:unit_id>: <unit_id> is not declared in scope="]


def _scoped_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        spec = app.view_functions[rule.endpoint].access
        kinds = {arg: spec.scope[arg] for arg in rule.arguments}
        if spec.public or not kinds or all(k == PLAIN for k in kinds.values()):
            continue
        yield rule, spec, kinds


@pytest.fixture
def outsiders(app, seed):
    """One user of each role who sees only the second estate."""
    with app.app_context():
        other = db.session.get(Estate, seed.estate_ids[1])
        for role in sorted(ALL_ROLES):
            user = User(username=f"outsider-{role}", role=role)
            user.set_password("outsider-pass")
            user.estates = [other]
            db.session.add(user)
        db.session.commit()
    return {role: f"outsider-{role}" for role in ALL_ROLES}


def test_a_user_of_one_estate_gets_404_for_every_object_of_another(
    app, client, auth, seed, outsiders
):
    """For every route naming an object: does a user of another estate get 404, by any method?"""
    checked = 0
    for rule, spec, kinds in _scoped_rules(app):
        with app.app_context():
            values = {
                arg: (SAMPLES[kind](seed.estate_ids[0]) if kind != PLAIN else "1")
                for arg, kind in kinds.items()
            }
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **values)
        role = sorted(spec.roles)[0]
        auth.login(outsiders[role], "outsider-pass")
        token = auth.csrf("/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, headers={"X-CSRFToken": token})
            assert response.status_code == 404, f"{method} {url} as {role}: {response.status_code}"
            checked += 1
        auth.logout()
    # /q/<code> (labels) and the registry routes name objects: the walk must have checked some.
    assert checked > 0


def test_ids_beyond_the_databases_integer_range_are_404(app, client, auth, seed):
    """Does a huge or odd id get 404 on every object route, never a database error (500)?"""
    auth.login("supervisor")
    token = auth.csrf("/")
    checked = 0
    for rule, spec, kinds in _scoped_rules(app):
        int_args = [a for a in rule.arguments if isinstance(rule._converters[a], IntegerConverter)]
        if not int_args or "supervisor" not in spec.roles:
            continue
        with app.app_context():
            values = {
                arg: (SAMPLES[kind](seed.estate_ids[0]) if kind != PLAIN else "1")
                for arg, kind in kinds.items()
            }
        for arg in int_args:
            for huge in (2**31, 2**63, 10**30):
                with app.test_request_context():
                    from flask import url_for

                    url = url_for(rule.endpoint, **{**values, arg: huge})
                response = client.get(url, headers={"X-CSRFToken": token})
                assert response.status_code in (404, 405), f"GET {url}: {response.status_code}"
                checked += 1
    for query in ("estate=99999999999999999999&date=2026-11-27", "estate=²&date=2026-11-27"):
        response = client.get(f"/api/reports/coverage?{query}")  # no id: the API's 422
        assert response.status_code == 422, query
        assert "estate" in response.get_json()["fields"], query
    assert checked > 0
