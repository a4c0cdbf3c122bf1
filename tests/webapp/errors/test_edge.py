"""The edge guard: input no route can store is a 4xx with a clear message, never a 5xx, on
every route; and one bad op never sinks the good ops of its push."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import url_sample
from tests.sync.conftest import check_op, codes_of, finding_op, lend_op
from webapp.extensions import db
from webapp.models.sync import Check, Finding, QuarantinedOp

ROOT = Path(__file__).resolve().parents[3]
HOSTILE = ["\x00", "\ud800", "a\udfffb"]


def _routes(app, method: str):
    """Every rule with ``method``, with sample URL values (1 for ints, "x" for text)."""
    for rule in app.url_map.iter_rules():
        if method not in rule.methods or rule.endpoint == "static":
            continue
        values = {}
        for arg in rule.arguments:
            converter = rule._converters[arg].__class__.__name__
            values[arg] = (
                1 if "Int" in converter else url_sample(rule, arg, "csv" if arg == "fmt" else "x")
            )
        yield rule, rule.build(values)[1]


def test_nul_in_any_query_parameter_is_400_on_every_get_route(app, client, auth, seed):
    """Was a NUL in a query parameter a 500 on PostgreSQL (DataError) on 10 of 10 forms?"""
    auth.login("admin")
    checked = 0
    for _rule, url in _routes(app, "GET"):
        for name, value in (("q", "a\x00b"), ("page", "\x00"), ("x\x00", "1")):
            response = client.get(url, query_string={name: value})
            assert response.status_code == 400, (url, name, response.status_code)
            checked += 1
    assert checked > 60


def test_nul_in_any_form_field_is_400_on_every_post_route(app, client, auth, seed):
    """Any form, any field: 400 with a message naming the field, before any view runs."""
    auth.login("admin")
    token = auth.csrf("/")
    checked = 0
    for _rule, url in _routes(app, "POST"):
        response = client.post(url, data={"csrf_token": token, "name": "浮\x00水"})
        assert response.status_code == 400, (url, response.status_code)
        assert "name" in response.get_data(as_text=True)
        checked += 1
    assert checked > 20


def test_the_message_is_json_under_api(client, seed):
    for text in HOSTILE:
        response = client.post(
            "/api/auth/device",
            json={"username": "patrol" + text, "password": "x", "device_name": "p"},
        )
        assert response.status_code == 400
        assert response.get_json()["error"] == "bad_input"
        response = client.post(
            "/api/auth/device",
            json={"username": "patrol", "password": "patrol-demo", "device_name": text},
        )
        assert response.status_code == 400, repr(text)


def test_non_finite_numbers_and_deep_json_are_400(client, seed):
    response = client.post(
        "/api/auth/device",
        data='{"device_name": "p", "username": "u", "password": NaN}',
        content_type="application/json",
    )
    assert response.status_code == 400


@pytest.mark.parametrize("bad", HOSTILE)
def test_a_bad_op_is_quarantined_and_its_good_neighbours_applied(app, phone, bad):
    """Did a lone surrogate in one op's note sink the whole batch (500 at merge.py:83)?"""
    with app.app_context():
        from webapp.models import Estate

        estate = db.session.scalar(sa.select(Estate.id).order_by(Estate.id))
    codes = codes_of(app, estate, "unit", 2)
    good = check_op(codes[0])
    bad_check = check_op(codes[1], note="漏水" + bad)
    bad_finding = finding_op(codes[0], note=bad)
    bad_key = {**finding_op(codes[0]), "type": "finding.create" + bad}
    good2 = finding_op(codes[1])
    response = phone.push([good, bad_check, bad_finding, bad_key, good2])
    assert response.status_code == 200
    statuses = [r["status"] for r in response.get_json()["results"]]
    assert statuses == ["applied", "rejected", "rejected", "rejected", "applied"]
    assert response.get_json()["results"][1]["error"] == "bad_text"
    with app.app_context():
        assert db.session.get(Check, good["payload"]["id"]) is not None
        assert db.session.get(Finding, good2["payload"]["id"]) is not None
        kept = {q.op_id: q for q in db.session.scalars(sa.select(QuarantinedOp))}
        assert set(kept) == {bad_check["op_id"], bad_finding["op_id"], bad_key["op_id"]}
        note = kept[bad_check["op_id"]].raw["payload"]["note"]
        escaped = "".join(f"\\u{ord(c):04x}" if c in "\x00\ud800\udfff" else c for c in bad)
        assert note == "漏水" + escaped
    # The same bad op again is not kept twice.
    assert phone.push([bad_check]).get_json()["results"][0]["status"] == "rejected"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuarantinedOp)) == 3


def test_bad_text_in_the_envelope_is_400(phone):
    response = phone.client.post(
        "/api/sync/push",
        json={"device_id": phone.device_id + "\x00", "ops": [check_op("x")]},
        headers=phone.headers,
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T00:00:00Z"]
)
def test_times_at_the_edges_of_the_calendar_are_rejected_not_500(app, phone, moment):
    with app.app_context():
        from webapp.models import Estate

        estate = db.session.scalar(sa.select(Estate.id).order_by(Estate.id))
    unit = codes_of(app, estate, "unit", 1)[0]
    key = codes_of(app, estate, "key", 1, status="in")[0]
    early = check_op(unit)
    early["occurred_at"] = moment
    lend = lend_op(key)
    lend["payload"]["due_back"] = moment
    good = check_op(unit)
    response = phone.push([early, lend, good])
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_coverage_dates_at_the_edges_are_4xx(client, auth, seed, day):
    auth.login("supervisor")
    estate = seed.estate_ids[0]
    api = client.get(f"/api/reports/coverage?estate={estate}&date={day}")
    assert api.status_code == 422
    page = client.get(f"/rounds/coverage?estate={estate}&date={day}")
    assert page.status_code == 400  # named, as every page names a value it cannot read
    assert day in page.get_data(as_text=True)


EN = {"Accept-Language": "en"}
HUGE = ["99999999999999999999999", "2147483648", "-2147483649"]


@pytest.mark.parametrize("value", HUGE)
def test_huge_page_and_estate_numbers_are_400(client, auth, seed, value):
    auth.login("supervisor")
    reads = {
        "/review/findings": ("page", "estate"),
        "/review/findings.csv": ("estate",),
        "/keys/": ("page", "estate"),
        "/keys/register.csv": ("estate",),
        "/keys/ledger": ("page", "estate"),
        "/keys/ledger.csv": ("estate",),
        "/quarantine/": ("page",),
        "/review/dashboard": ("estate", "days"),
        "/review/tables/open": ("page", "estate", "days"),
        "/review/coverage-today": ("estate",),
        "/desk/handover": ("estate",),
    }
    for path, names in reads.items():
        for name in names:
            response = client.get(path, query_string={name: value}, headers=EN)
            assert response.status_code == 400, (path, name, response.status_code)
            body = response.get_data(as_text=True)
            assert f"{name}: “{value}”" in body and "whole number" in body, (path, name)


def test_url_integers_are_32_bit(app):
    """Every <int:...> in a URL is bounded: a larger one matches no route (404)."""
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in app.url_map.iter_rules():
            for arg in rule.arguments:
                converter = rule._converters[arg]
                if "Int" in converter.__class__.__name__:
                    assert converter.max == 2**31 - 1, rule
        from werkzeug.exceptions import NotFound

        with pytest.raises(NotFound):
            adapter.match("/registry/units/2147483648")


def test_no_query_integer_is_parsed_without_bounds():
    """The class, not the instance: no view parses a query integer with plain int."""
    offenders = []
    for path in (ROOT / "webapp").rglob("*.py"):
        text = path.read_text()
        patterns = (r"\.get\([^)]*type=int\b", r"int\(request\.", r"date\.fromisoformat\(request")
        for pattern in patterns:
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


def test_escaped_raw_round_trips_json():
    from webapp.edge import escape_unstorable, storable

    value = {"a\x00": ["\ud800", float("nan"), 1, None, True], "b": {"c": "\udfff"}}
    escaped = escape_unstorable(value)
    assert storable(escaped)
    assert json.loads(json.dumps(escaped)) == escaped
