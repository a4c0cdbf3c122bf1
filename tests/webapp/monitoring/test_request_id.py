"""The request id: taken from the caller when well formed, else made; always sent back."""

from __future__ import annotations

import re

import pytest

from webapp.monitoring.request_id import accept

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_every_answer_carries_a_request_id(client):
    """Does a response with no id asked for carry a fresh one, different each time?"""
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second)
    assert first != second


def test_a_well_formed_incoming_id_is_kept(client):
    """Is the proxy's X-Request-ID (nginx's 32 hex digits, a UUID) sent back as it came?"""
    for rid in ("3f1c0a9be6d24d7a8c1e5b2f90d4a6c7", "7d9f0c2e-1b3a-4c5d-8e9f-0a1b2c3d4e5f"):
        assert client.get("/healthz", headers={"X-Request-ID": rid}).headers["X-Request-ID"] == rid


@pytest.mark.parametrize(
    "sent",
    [
        "",
        "a" * 65,
        "has space",
        '"><script>alert(1)</script>',
        "id\\u2028x",
        "-starts-with-a-dash",
        "名字",
        "a;b",
    ],
)
def test_an_ill_formed_incoming_id_is_replaced(client, sent):
    """Is an id that is too long or holds anything but letters, digits, '.', '_' and '-'
    replaced by a generated one rather than written into logs and pages?"""
    header = sent.encode("utf-8").decode("latin-1")  # as a server hands it to WSGI
    got = client.get("/healthz", headers={"X-Request-ID": header}).headers["X-Request-ID"]
    assert GENERATED.fullmatch(got)


def test_the_rule_is_bounded():
    """Is 64 characters the longest id taken?"""
    assert accept("a" * 64) == "a" * 64
    assert accept("a" * 65) != "a" * 65


def test_a_view_that_sets_its_own_id_header_is_overruled(app, client):
    """Is there one X-Request-ID on the answer, the request's, even if a view set another?"""
    from webapp.access import public

    @public
    def sets_header():
        return "ok", 200, {"X-Request-ID": "made-up"}

    app.add_url_rule("/sets-header", "sets_header", sets_header)
    response = client.get("/sets-header", headers={"X-Request-ID": "from-proxy"})
    assert response.headers.getlist("X-Request-ID") == ["from-proxy"]
