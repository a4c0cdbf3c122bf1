"""Every page and API GET reads its query arguments strictly: a value it cannot read is a 400
that names the argument and shows what was sent (a 422 naming it under /api, the API's answer
to invalid input), never a 500 and never dropped as if not sent; an argument sent empty is not
sent; an estate the reader does not see is a 404, as in a path.

The routes come from ``app.url_map`` and what each reads from a first walk that records every
name a view asks the query string for, as each role that may open it: a new route, or a new
argument, is probed without being listed here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import url_for
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from tests.conftest import AuthActions, url_sample
from tests.webapp.test_access import PLAIN, SAMPLES
from webapp.extensions import db

ROOT = Path(__file__).resolve().parents[2]

# Who walks a route: each role allowed on it, as a user of the first estate, and the regional
# supervisor and the organisation admin, whose pages read more (a regional supervisor's
# coverage page without an estate, a dashboard of several estates).
USERS = {
    "patroller": ("patrol",),
    "frontdesk": ("desk",),
    "supervisor": ("supervisor", "regional"),
    "engineering": ("engineer",),
    "admin": ("admin", "hq"),
}
ONE_ESTATE = {"patrol", "desk", "supervisor", "engineer", "admin"}
# Arguments that are words (any text is something to look for), or a place to go back to that
# the view makes safe (auth's ``next``), or codes a phone's stocktake sends along.
WORDS = {"q", "key", "borrower", "codes", "next"}
# Previews of a form as it is being filled in (htmx, at each scan): ``form`` says which form
# and is read strictly; the rest is that form, whose own messages say what is wrong.
FILLING = {"keys.basket_preview", "approvals.basket_preview", "owner_keys.basket"}
# Routes that read the whole query through a marshmallow schema, as /shared/API.md fixes it
# for the phones: the pull's cursor and limit (a limit out of range is 422, a cursor no longer
# honoured 410; tests/webapp/api). Not probed here.
CONTRACTS = {"api.sync_pull"}
# Values no argument but words can read (a number in full-width digits, １２, is a number:
# int() reads it, as an IME may type it).
JUNK = ("abc", "1.5", "bogus", "2026-W99", "0", "-1", "99999999999", "２x")
# Values of nothing visible: as an empty value, no argument (a space typed into a box, or a
# hand-made ?page=%20%20).
BLANK = (" ", "  ", "\u3000", "\u200b", "\t\u00a0")
# Values among JUNK that some arguments read: a floor may be 0, or B1 (-1); a flag is off as 0.
READ_AS = {"floor": {"0", "-1"}, "overdue": {"0"}, "inactive": {"0"}, "add": {"0"}}
# Values of URL arguments that name no estate object.
PLAIN_VALUES = {
    "fmt": "csv",
    "kind": "units",
    "slug": "open",
    "sha256": "0" * 64,
    "job_id": "00000000-0000-0000-0000-000000000000",
}


class Recording(ImmutableMultiDict):
    """The query string, noting each name a view asks for (and ``*`` for the whole of it)."""

    asked: set[str] = set()

    def __contains__(self, key):
        Recording.asked.add(key)
        return super().__contains__(key)

    def __getitem__(self, key):
        Recording.asked.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):  # noqa: A002 - MultiDict's own signature
        Recording.asked.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        Recording.asked.add(key)
        return super().getlist(key, type)

    def to_dict(self, flat=True):
        Recording.asked.add("*")
        return super().to_dict(flat)


class Route:
    """A GET route: its endpoint, its URL for the first estate's objects, who may open it."""

    def __init__(self, rule, url: str, users: list[str]):
        self.endpoint, self.url, self.users = rule.endpoint, url, users
        self.api = rule.rule.startswith("/api/")


def _plain(rule, arg: str):
    return 1 if isinstance(rule._converters[arg], IntegerConverter) else "x"


def _routes(app, seed) -> list[Route]:
    routes = []
    with app.app_context():
        estate = seed.estate_ids[0]
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if rule.endpoint == "static" or "GET" not in rule.methods:
                continue
            spec = app.view_functions[rule.endpoint].access
            values = {
                arg: SAMPLES[spec.scope[arg]](estate)
                if spec.scope[arg] != PLAIN
                else url_sample(rule, arg, PLAIN_VALUES.get(arg, _plain(rule, arg)))
                for arg in rule.arguments
            }
            with app.test_request_context():
                url = url_for(rule.endpoint, **values)
            users = (
                ["anonymous"]
                if spec.public
                else sorted({u for role in spec.roles for u in USERS[role]})
            )
            routes.append(Route(rule, url, users))
        db.session.remove()
    return routes


@pytest.fixture
def clients(app, seed):
    """A logged-in test client per user that walks, and one logged in as no one."""
    made = {"anonymous": app.test_client()}
    for user in sorted({u for users in USERS.values() for u in users}):
        made[user] = app.test_client()
        assert AuthActions(made[user]).login(user).status_code in (302, 303), user
    return made


def _get(client, url: str, query: dict | None = None):
    response = client.get(url, query_string=query, buffered=True)
    response.close()  # a streamed answer (an export) holds its transaction until closed
    return response


# What each (endpoint, user) reads: the same in every test of the module (the views' code),
# so walked once.
_READS: dict[tuple[str, str], set[str]] = {}


@pytest.fixture
def walked(app, seed, clients, monkeypatch):
    """Every GET route with what each user who may open it reads from the query string."""
    routes = _routes(app, seed)
    if not _READS:
        monkeypatch.setattr(app.request_class, "parameter_storage_class", Recording)
        for route in routes:
            for user in route.users:
                Recording.asked = set()
                _get(clients[user], route.url)
                _READS[route.endpoint, user] = set(Recording.asked)
        monkeypatch.undo()
    return routes


def _reads(route: Route) -> dict[str, str]:
    """Each name the route reads, with the first user whose walk read it."""
    names: dict[str, str] = {}
    for user in route.users:
        for name in sorted(_READS[route.endpoint, user]):
            names.setdefault(name, user)
    return names


def test_the_walk_finds_what_the_routes_read(walked):
    """Does the walk find the arguments the lists, reports and exports are known to read, and
    does nothing but the pull read the query whole (which the probes below could not see)?"""
    read = {r.endpoint: set(_reads(r)) for r in walked}
    assert {"estate", "status", "severity", "overdue", "page"} <= read["review.findings"]
    assert {"estate", "days"} <= read["review.dashboard"]
    assert {"estate", "status", "page"} <= read["home.index"]  # engineering's home
    assert {"estate", "date", "view"} <= read["rounds.coverage_page"]
    assert {"estate", "date"} <= read["rounds.api_coverage"]
    assert {"estate", "start", "end", "page"} <= read["keys.ledger_page"]
    assert {"estate", "start", "end"} <= read["paper.checks_export"]
    assert {"template", "start", "item"} <= read["records.cell"]
    assert {"page", "show"} <= read["quarantine.index"]
    assert {"page"} <= read["alerts.index"]
    assert {"estate", "role", "add"} <= read["admin.users"]
    assert {e for e, names in read.items() if "*" in names} == CONTRACTS
    assert len(walked) > 100


def test_junk_in_any_argument_is_refused_naming_it(walked, clients):
    """Is junk in any argument a route reads refused — 400 with the argument and the value on
    the page, 422 with the argument in ``fields`` under /api — never a 500, never the page as
    if it were not sent? It was ignored: ?estate=abc listed every estate, ?page=-1 showed page
    1, ?state=bogus every state, a day that is no day today."""
    wrong = []
    for route in walked:
        if route.endpoint in CONTRACTS:
            continue
        for name, user in _reads(route).items():
            if name in WORDS or (route.endpoint in FILLING and name != "form"):
                continue
            for junk in set(JUNK) - READ_AS.get(name, set()):
                response = _get(clients[user], route.url, {name: junk})
                status, body = response.status_code, response.get_data(as_text=True)
                if route.api:
                    fields = (response.get_json(silent=True) or {}).get("fields", {})
                    right = status == 422 and name in fields
                else:
                    right = status == 400 and junk in body and name in body
                if not right:
                    wrong.append((route.endpoint, user, name, junk, status))
    assert wrong == []


def test_an_empty_argument_is_no_argument(walked, clients):
    """Is an argument sent empty (a form's "all" choice) answered as if it were not sent?"""
    wrong = []
    for route in walked:
        if route.endpoint in CONTRACTS:
            continue
        for user in route.users:
            names = _READS[route.endpoint, user]
            if not names:
                continue
            plain = _get(clients[user], route.url).status_code
            status = _get(clients[user], route.url, dict.fromkeys(names, "")).status_code
            if status != plain:
                wrong.append((route.endpoint, user, sorted(names), plain, status))
    assert wrong == []


def test_an_argument_of_nothing_visible_is_no_argument(walked, clients):
    """Is an argument of only whitespace or invisible characters (``?page=%20``) answered as
    if it were not sent, as an empty one is? It was a 400 naming the argument."""
    wrong = []
    for route in walked:
        if route.endpoint in CONTRACTS:
            continue
        for user in route.users[:1]:
            names = _READS[route.endpoint, user]
            if not names:
                continue
            plain = _get(clients[user], route.url).status_code
            for value in BLANK:
                status = _get(clients[user], route.url, dict.fromkeys(names, value)).status_code
                if status != plain:
                    wrong.append((route.endpoint, user, sorted(names), repr(value), status))
    assert wrong == []


def test_an_estate_the_reader_does_not_see_is_404(walked, clients, seed):
    """Is ``?estate=`` naming another estate a 404 on every route that reads it, as a path
    naming its objects is — never its list, and never the reader's own list?"""
    other = seed.estate_ids[1]
    wrong, checked = [], 0
    for route in walked:
        readers = [u for u in route.users if "estate" in _READS[route.endpoint, u]]
        for user in [u for u in readers if u in ONE_ESTATE][:1]:
            checked += 1
            status = _get(clients[user], route.url, {"estate": other}).status_code
            if status != 404:
                wrong.append((route.endpoint, user, status))
    assert wrong == []
    assert checked > 20


# Reads of the query that go through no FilterForm, each for its reason. Any other line that
# reads ``request.args`` or ``request.values`` fails, so a branch the walk does not reach is
# read strictly too.
BY_HAND = {
    # API.md's pull: marshmallow, unknown=RAISE (422), as the phones send it.
    "webapp/api/views.py": "PullQuerySchema().load(request.args.to_dict())",
    # A place to go back to after logging in, made safe (never off the site) by safe_next.
    "webapp/auth/views.py": 'safe_next(request.args.get("next"))',
    # The old key handover's address sends its estate and codes on to the desk's, which
    # reads them strictly.
    "webapp/keys/views.py": "for k, v in request.args.items() if k in",
    # The Saturday report's week (2026-W20), refused by hand with a 400 that says how to
    # write one.
    "webapp/renovation/report_views.py": 'request.args.get("week", "")',
    # The edge's guard: every value of every request, for text no route can store.
    "webapp/edge.py": "request.args.items(multi=True)",
}
READS_QUERY = re.compile(r"request\.(args|values)\b")
THROUGH_FORMS = re.compile(
    r"strict_args\([^)]*request\.(args|values)\)|from_args\((current_user, )?request\.args"
    r"|formdata=request\.args"
)


def test_no_view_reads_the_query_by_hand():
    """Does every view read its query through a FilterForm (``strict_args``, a
    ``QueryFilters``, or a form it fills in after a ``strict_args`` of its query), but for
    the reads BY_HAND names?"""
    offenders = []
    for path in sorted((ROOT / "webapp").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not READS_QUERY.search(line) or THROUGH_FORMS.search(line):
                continue
            if line.lstrip().startswith(("#", '"')) or BY_HAND.get(name, "\0") in line:
                continue
            offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []
