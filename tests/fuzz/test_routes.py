"""Fuzz every query parameter of every route, as every role: never a 5xx.

The routes come from ``app.url_map``; the parameter names from a first walk that records
every name a view reads from ``request.args`` (so a new parameter is fuzzed without being
listed here). Each example is one GET as one role, with URL arguments that name real
objects of the first estate (or hostile ones) and a query string of hostile values: NUL
and control characters, lone surrogates, invalid UTF-8, numbers past every integer type,
dates at the calendar's edges. Budget: tests/fuzz/conftest.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

import webapp
from tests.conftest import url_sample
from tests.fuzz.conftest import RUN, hostile_text, run_for
from tests.webapp.test_access import PLAIN, SAMPLES
from webapp.access import Access
from webapp.extensions import db

pytestmark = pytest.mark.fuzz

# What the views read through request.args.to_dict() and a schema (the pull's cursor and limit).
SCHEMA_PARAMS = {"cursor", "limit"}
# Plausible values of the URL arguments that name no estate object.
PLAIN_SAMPLES = {
    "fmt": ["csv", "xlsx", "pdf"],
    "kind": ["units", "keys", "signs"],
    "slug": ["open", "missed", "vacant", "renovating", "devices", "quarantine"],
    "sha256": ["0" * 64, "f" * 64],
    "job_id": ["1", "00000000-0000-0000-0000-000000000000"],
}


class _Recorder(ImmutableMultiDict):
    """request.args that remembers every name a view asks it for."""

    seen: set[str] = set()

    def get(self, key, default=None, type=None):  # noqa: A002 - MultiDict's own signature
        _Recorder.seen.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        _Recorder.seen.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        _Recorder.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _Recorder.seen.add(key)
        return super().__contains__(key)


def _record_args(app) -> None:
    app.request_class = type(
        "RecordingRequest", (app.request_class,), {"parameter_storage_class": _Recorder}
    )


def _get_rules(app) -> list:
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" not in rule.methods:
            continue
        rules.append(rule)
    return sorted(rules, key=lambda r: r.rule)


def _samples(app, seed) -> dict[str, object]:
    """A real value for every scoped URL argument kind, in the first estate."""
    with app.app_context():
        values = {kind: make(seed.estate_ids[0]) for kind, make in SAMPLES.items()}
        db.session.remove()
    return values


def _allowed(spec: Access) -> set[str]:
    names = {
        "patroller": {"patrol", "patrol2"},
        "frontdesk": {"desk"},
        "supervisor": {"supervisor", "regional"},
        "engineering": {"engineer"},
        "admin": {"admin", "hq"},
    }
    return set().union(*(names[r] for r in spec.roles))


# Users of several estates are drawn among a route's roles by the random requests; the walk and
# the form posts go as the single-estate colleague (whose pages read the same names and more:
# a regional supervisor's coverage page without an estate asks for one).
WIDER = {"hq", "regional"}


def walker(spec: Access) -> str:
    """The role that walks a route (and posts its form): the first one allowed, by name."""
    return sorted(_allowed(spec) - WIDER)[0]


def _path(rule, values: dict) -> str:
    """The rule's path with these values; text is percent-encoded byte for byte (a lone
    surrogate as the bytes Python's surrogatepass gives it)."""
    path = rule.rule
    for arg, value in values.items():
        text = str(value) if isinstance(value, int) else quote_from_bytes(_bytes(value), safe="")
        path = re.sub(r"<(?:[^<>]*:)?" + arg + r">", lambda _m, t=text: t, path)
    return path


def sample_url(rule, spec: Access, samples: dict) -> str:
    """The rule's path with a sample of each argument: a record of its scope's kind the walker
    may see, else the argument's plain sample ("x" for one with none)."""
    values = {
        arg: samples[spec.scope[arg]]
        if spec.scope.get(arg) != PLAIN
        else PLAIN_SAMPLES.get(arg, ["x"])[0]
        for arg in rule.arguments
    }
    return _path(rule, values)


def _bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")


def _query(pairs: list[tuple[str, object]]) -> str:
    return "&".join(
        f"{quote_from_bytes(_bytes(k), safe='')}={quote_from_bytes(_bytes(v), safe='')}"
        for k, v in pairs
    )


_READS = re.compile(r'args(?:\.get|\.getlist)?[(\[]\s*"([A-Za-z_][A-Za-z0-9_]*)"')


def source_params() -> set[str]:
    """The names the app's source reads from request args (a branch a walk may not reach)."""
    root = Path(webapp.__file__).parent
    return {m for f in root.rglob("*.py") for m in _READS.findall(f.read_text("utf-8"))}


def walk_params(app, clients, rules, samples) -> dict[str, set[str]]:
    """Call every GET route once as a role allowed on it: the names its views read, by
    rule."""
    _record_args(app)
    read = {}
    for rule in rules:
        spec = app.view_functions[rule.endpoint].access
        role = "anonymous" if spec.public else walker(spec)
        values = {
            arg: samples[spec.scope[arg]]
            if spec.scope.get(arg) != PLAIN
            else url_sample(rule, arg, PLAIN_SAMPLES.get(arg, ["x"])[0])
            for arg in rule.arguments
        }
        _Recorder.seen = set()
        # Closed at once: a streamed answer (an export) holds its transaction until closed.
        clients[role].get(_path(rule, values)).close()
        read[rule.rule] = set(_Recorder.seen)
    return read


def test_the_parameter_walk_finds_what_the_views_read(app, seed, role_clients):
    """Does the first walk find the parameters the routes are known to read?"""
    rules = _get_rules(app)
    read = walk_params(app, role_clients, rules, _samples(app, seed))
    assert {"estate", "date", "page"} <= set().union(*read.values())  # the walk finds names
    assert {"page", "q"} <= read["/review/findings"]
    names = set().union(*read.values()) | SCHEMA_PARAMS | source_params()
    assert {"page", "estate", "date", "next", "q", "status", "cursor", "limit"} <= names
    assert len(rules) > 40


def route_requests(app, seed, role_clients):
    """The strategy of one GET: (rule, role, URL values, query pairs, Accept), and a
    function that sends one and returns (url, response)."""
    rules = _get_rules(app)
    samples = _samples(app, seed)
    read = walk_params(app, role_clients, rules, samples)
    names = sorted(set().union(*read.values()) | SCHEMA_PARAMS | source_params())
    everyone = sorted(role_clients)

    def url_value(rule, arg):
        spec = app.view_functions[rule.endpoint].access
        kind = spec.scope.get(arg)
        scoped = kind != PLAIN and samples.get(kind) is not None
        if isinstance(rule._converters[arg], IntegerConverter):
            hostile = st.integers(min_value=-(2**70), max_value=2**70)
            return st.one_of(st.just(samples[kind]), hostile) if scoped else hostile
        real = [str(samples[kind])] if scoped else PLAIN_SAMPLES.get(arg, [])
        real = sorted({url_sample(rule, arg, one) for one in real})
        return st.one_of(st.sampled_from(real), hostile_text()) if real else hostile_text()

    def value():
        return st.one_of(hostile_text(), hostile_text(), st.binary(max_size=12))

    # Routes that read parameters are drawn three times as often as those that read none.
    reading = [rule for rule in rules if read[rule.rule]]

    @st.composite
    def requests(draw):
        rule = draw(st.one_of(st.sampled_from(reading), st.sampled_from(rules)))
        spec = app.view_functions[rule.endpoint].access
        allowed = sorted(_allowed(spec)) if not spec.public else everyone
        # Mostly a role that gets past the role check, sometimes anyone.
        role = draw(
            st.one_of(st.sampled_from(allowed), st.sampled_from(allowed), st.sampled_from(everyone))
        )
        values = {arg: draw(url_value(rule, arg)) for arg in sorted(rule.arguments)}
        # Every name this route reads, each with a hostile value, and a few others.
        own = [(n, draw(value())) for n in sorted(read[rule.rule])]
        extra = draw(
            st.lists(
                st.tuples(st.one_of(st.sampled_from(names), hostile_text()), value()), max_size=3
            )
        )
        pairs = draw(st.permutations(own + extra))
        accept = draw(st.sampled_from([None, "application/json", "text/csv"]))
        return rule, role, values, pairs, accept

    def send(request):
        rule, role, values, pairs, accept = request
        url = _path(rule, values)
        if pairs:
            url += "?" + _query(pairs)
        headers = {"Accept": accept} if accept else {}
        response = role_clients[role].get(url, headers=headers, buffered=True)
        response.close()  # a streamed answer holds its transaction until closed
        return f"GET {url} as {role} (Accept: {accept})", response

    return requests(), send


def test_no_query_parameter_of_any_route_gets_a_5xx(app, seed, role_clients):
    """Do hostile values in every query parameter of every GET route, as every role and as
    no one, always get an answer below 500?"""
    requests, send = route_requests(app, seed, role_clients)

    @RUN
    @given(requests)
    def one_request(request):
        said, response = send(request)
        note(said)
        assert response.status_code < 500, f"{response.status_code} for {said}"

    run_for("routes", one_request)
