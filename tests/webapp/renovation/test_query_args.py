"""The renovation pages read their query arguments strictly: a value a page cannot read is a 400
that names it and says how to write it, never a 500 and never dropped as if not sent; an
estate, a unit or a record of an estate the reader does not see is a 404."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import ImmutableMultiDict

from tests.conftest import url_sample
from webapp.extensions import db
from webapp.models import Unit
from webapp.models.renovation import Acceptance, RectificationNotice, RenovationPermit

BLUEPRINTS = ("renovation", "renovation_report")
# What each GET route reads from the query string (found by recording what it asks for; the
# table is here so that a route reading something new is looked at).
READS = {
    "renovation.permits": {"state", "q", "page"},
    "renovation.permit_new": {"unit"},
    "renovation.permit": set(),
    "renovation.permit_edit": set(),
    "renovation.permits_export": {"state", "q", "page"},
    "renovation.notices": {"page"},
    "renovation.notice_pdf": set(),
    "renovation.notice": set(),
    "renovation.stop_work_pdf": set(),
    "renovation.acceptances": {"page"},
    "renovation.acceptance": set(),
    "renovation.acceptance_pdf": set(),
    "renovation_report.page": {"estate", "week"},
    "renovation_report.download": {"estate", "week"},
    "renovation_report.card": {"estate"},
}
WORDS = {"q"}  # a search: any text is words to look for
# (A number in full-width digits, １２, is a number: int() reads it, as an IME may type it.)
JUNK = ("abc", "1.5", "bogus", "2026-W99", "0", "-1", "99999999999", " ")
# Well-formed, but naming an estate or unit the reader does not see: 404, as a path would.
NOT_SEEN = {"estate", "unit"}


class Recording(ImmutableMultiDict):
    """The query string, noting each name a view asks for."""

    asked: set[str] = set()

    def __contains__(self, key):
        Recording.asked.add(key)
        return super().__contains__(key)

    def __getitem__(self, key):
        Recording.asked.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        Recording.asked.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        Recording.asked.add(key)
        return super().getlist(key, type)


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


def test_every_route_reads_what_the_table_says(app, client, auth, estate_two, monkeypatch):
    """Does each GET route of the renovation pages ask for exactly the arguments READS names
    (so that the probe below sends junk in every one)?"""
    monkeypatch.setattr(app.request_class, "parameter_storage_class", Recording)
    auth.login("supervisor2")
    asked = {}
    for endpoint, url in _routes(app, estate_two):
        Recording.asked = set()
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        asked[endpoint] = Recording.asked
    assert asked == READS


def test_junk_in_any_argument_is_a_400_that_says_which(app, client, auth, estate_two):
    """Is junk in any argument a route reads refused with 400 and the value named on the page
    (or a 404 for a well-formed id of nothing the reader sees) — never a 500, never the page
    as if the argument were not there? It was ignored: ?state=bogus listed every permit,
    ?estate=abc reported every estate, ?page=abc showed page 1."""
    auth.login("supervisor2")
    wrong = []
    for endpoint, url in _routes(app, estate_two):
        for name in READS[endpoint] - WORDS:
            for junk in JUNK:
                response = client.get(url, query_string={name: junk})
                body = response.get_data().decode("utf-8", "replace")
                status = response.status_code
                if status == 404 and name in NOT_SEEN and junk.lstrip("-").isdigit():
                    continue
                if status != 400 or junk not in body:
                    wrong.append((endpoint, name, junk, status))
    assert wrong == []


def test_an_empty_argument_is_no_argument(app, client, auth, estate_two):
    """Is an argument sent empty (a form's "all" choice) read as not sent: 200?"""
    auth.login("supervisor2")
    for endpoint, url in _routes(app, estate_two):
        for name in READS[endpoint]:
            response = client.get(url, query_string={name: ""})
            assert response.status_code == 200, (endpoint, name, response.status_code)


def test_another_estates_records_are_404(app, client, auth, estate_two):
    """Is every route, given an estate, a permit, a notice or an acceptance of an estate the
    reader does not see, a 404 — and a record id with junk after it a 404 too (the notice's
    and acceptance's pages read its first 36 characters and showed the record)?"""
    auth.login("supervisor")
    for endpoint, url in _routes(app, estate_two):
        if endpoint.startswith("renovation_report."):
            continue  # no path id: their estate is the ?estate= below
        assert client.get(url).status_code == 404, (endpoint, url)
    for endpoint in READS:
        if not endpoint.startswith("renovation_report."):
            continue
        url = dict(_routes(app, estate_two))[endpoint]
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
