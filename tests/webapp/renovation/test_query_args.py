"""The renovation pages' records of an estate the reader does not see are a 404, by path or by
query, and a record id with more after it names nothing. (Junk, empty values and another
estate's ``?estate=`` in every page's query: tests/webapp/test_query_args.py, over every
route.)"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import url_sample
from webapp.extensions import db
from webapp.models import Unit
from webapp.models.renovation import Acceptance, RectificationNotice, RenovationPermit

BLUEPRINTS = ("renovation", "renovation_report")


def _records(estate_id: int) -> dict:
    """Path values naming the estate's own records (the demo has each kind)."""

    def first(model, *where):
        return db.session.scalar(
            sa.select(model.id).where(model.estate_id == estate_id, *where).order_by(model.id)
        )

    return {
        "estate_id": estate_id,
        "permit_id": first(RenovationPermit, RenovationPermit.closed_on.is_(None)),
        "notice_id": first(RectificationNotice, RectificationNotice.status == "escalated"),
        "acceptance_id": first(Acceptance),
    }


def _routes(app, values: dict):
    """Every GET route of the renovation blueprints with its URL for ``values``."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in BLUEPRINTS or "GET" not in rule.methods:
            continue
        args = {a: values.get(a) or url_sample(rule, a, "pdf") for a in rule.arguments}
        if rule.endpoint == "renovation.permits_export":
            args["fmt"] = "csv"
        yield rule.endpoint, rule.build(args)[1]


@pytest.fixture
def estate_two(app, seed):
    """Path values naming the second demo estate's records (the small test demo's first has
    no notices): "supervisor2" sees them, "supervisor" (the first estate's) does not."""
    with app.app_context():
        return _records(seed.estate_ids[1])


def test_another_estates_records_are_404(app, client, auth, estate_two):
    """Is every route, given an estate, a permit, a notice or an acceptance of an estate the
    reader does not see, a 404 — and a record id with junk after it a 404 too (the notice's
    and acceptance's pages read its first 36 characters and showed the record)?"""
    auth.login("supervisor")
    for endpoint, url in _routes(app, estate_two):
        if endpoint.startswith("renovation_report."):
            continue  # no path id: their estate is the ?estate= below
        assert client.get(url).status_code == 404, (endpoint, url)
    for endpoint, url in _routes(app, estate_two):
        if not endpoint.startswith("renovation_report."):
            continue
        response = client.get(url, query_string={"estate": estate_two["estate_id"]})
        assert response.status_code == 404, endpoint
    auth.logout()
    auth.login("supervisor2")
    padded = {**estate_two}
    padded["notice_id"] += "x"
    padded["acceptance_id"] += "0000"
    plain = dict(_routes(app, estate_two))
    for endpoint, url in _routes(app, padded):
        if url != plain[endpoint]:
            assert client.get(url).status_code == 404, (endpoint, url)


def test_a_unit_of_another_estate_is_not_put_on_this_estates_permit_form(app, client, auth, seed):
    """Does the new-permit form of one estate refuse (404) a unit of another, even for a
    regional supervisor who sees both (it filled in the other's unit label, which may name a
    unit of this estate too)?"""
    one, two = seed.estate_ids
    with app.app_context():
        theirs = db.session.scalar(sa.select(Unit.id).where(Unit.estate_id == two))
        ours = db.session.scalar(sa.select(Unit.id).where(Unit.estate_id == one))
    auth.login("regional")
    path = f"/renovation/estates/{one}/permits/new"
    assert client.get(path, query_string={"unit": ours}).status_code == 200
    assert client.get(path, query_string={"unit": theirs}).status_code == 404
