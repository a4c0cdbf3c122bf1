"""Walks behind docs/security.md's ASVS 4.0.3 Level 2 table, and a check that the table is
whole and names only tests that exist.

Each walk covers every route of ``app.url_map``, so a new route is held to the same rule
without a new test: CSRF on every unsafe method (V4.2.2, V13.2.3), a 403 for every role a
route does not name (V4.1.3, V13.2.1), the security headers on every answer (V14.4).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import AuthActions, csrf_token_from, url_sample
from tests.webapp.test_access import PLAIN, SAMPLES
from webapp.access import ALL_ROLES
from webapp.extensions import db
from webapp.models import User

ROOT = Path(__file__).resolve().parents[2]
DEMO_USER = {
    "patroller": "patrol",
    "frontdesk": "desk",
    "supervisor": "supervisor",
    "engineering": "engineer",
    "admin": "admin",
}
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint != "static":
            yield rule, app.view_functions[rule.endpoint].access


def _url(app, rule, spec, estate_id) -> str:
    from flask import url_for

    with app.app_context():
        values = {
            arg: SAMPLES[spec.scope[arg]](estate_id)
            if spec.scope[arg] != PLAIN
            else url_sample(rule, arg, _plain(arg))
            for arg in rule.arguments
        }
        db.session.remove()
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def _plain(arg: str) -> str:
    return {"fmt": "csv", "kind": "units", "slug": "open", "sha256": "0" * 64}.get(arg, "1")


def _client_as(app, role: str | None):
    client = app.test_client()
    if role is not None:
        response = AuthActions(client).login(DEMO_USER[role])
        assert response.status_code in (302, 303), role
    return client


def test_every_unsafe_route_refuses_a_request_without_a_csrf_token(app, seed):
    """Does every POST/PUT/PATCH/DELETE route, called with a logged-in session of a role it
    allows but no CSRF token, answer 400 and change nothing?"""
    checked = 0
    for rule, spec in _rules(app):
        methods = sorted(set(rule.methods) & set(UNSAFE))
        if not methods:
            continue
        role = None if spec.public else sorted(spec.roles)[0]
        client = _client_as(app, role)
        url = _url(app, rule, spec, seed.estate_ids[0])
        for method in methods:
            # A JSON body without a password: only a password login skips CSRF.
            response = client.open(url, method=method, json={})
            assert response.status_code == 400, f"{method} {url}: {response.status_code}"
            body = response.get_data(as_text=True)
            assert "csrf" in body.lower() or "expired" in body or "過期" in body, url
            checked += 1
    assert checked > 30


def test_every_route_refuses_the_roles_it_does_not_name(app, seed):
    """Does every route answer 403 to a logged-in user of each role it does not allow, by
    every method, even with a valid CSRF token?"""
    checked = 0
    clients = {role: _client_as(app, role) for role in sorted(ALL_ROLES)}
    tokens = {
        role: csrf_token_from(c.get("/").get_data(as_text=True)) for role, c in clients.items()
    }
    for rule, spec in _rules(app):
        if spec.public:
            continue
        url = _url(app, rule, spec, seed.estate_ids[0])
        for role in sorted(ALL_ROLES - spec.roles):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = clients[role].open(
                    url, method=method, headers={"X-CSRFToken": tokens[role]}
                )
                assert response.status_code == 403, f"{method} {url} as {role}"
                checked += 1
    assert checked > 50


def test_every_answer_carries_the_security_headers_and_no_cors(app, seed):
    """Does every GET route's answer (and a static file, a 404, a 401) carry the CSP with
    frame-ancestors 'none', nosniff, a Referrer-Policy, a charset on text, and no CORS grant?"""
    urls = []
    for rule, spec in _rules(app):
        if "GET" in rule.methods:
            role = None if spec.public else sorted(spec.roles)[0]
            urls.append((role, _url(app, rule, spec, seed.estate_ids[0])))
    urls += [(None, "/static/css/app.css"), (None, "/no-such-page"), (None, "/api/sync/pull")]
    clients = {}
    for role, url in urls:
        client = clients.get(role) or clients.setdefault(role, _client_as(app, role))
        response = client.get(url, headers={"Origin": "https://evil.example"})
        headers = response.headers
        assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), url
        assert headers.get("X-Content-Type-Options") == "nosniff", url
        assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer"), url
        assert "Access-Control-Allow-Origin" not in headers, url
        if response.mimetype.startswith("text/") or response.mimetype.endswith("json"):
            assert response.mimetype_params.get("charset", "utf-8").lower() == "utf-8", url
        assert response.content_type, url
        response.close()


def test_passwords_keep_every_character_and_are_not_truncated(app, seed):
    """Does a 128-character password of spaces, CJK and emoji log in, and the same password
    one character short not (V2.1.3, V2.1.4)?"""
    password = ("通行 密碼 🔑🚪 " * 20)[:128]
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "desk"))
        user.set_password(password)
        db.session.commit()
    client = app.test_client()
    assert AuthActions(client).login("desk", password[:-1]).status_code not in (302, 303)
    assert AuthActions(client).login("desk", password).status_code in (302, 303)


# Calls that would run what a request sent as code, a template, a pickle or a shell line.
FORBIDDEN = re.compile(
    r"render_template_string|\beval\(|\bexec\(|pickle|yaml\.load|shell=True|os\.system|"
    r"headers\.get\(\s*[\"']Origin"
)


def test_no_code_path_runs_what_a_request_sends():
    """Does the server code avoid eval/exec, string templates, pickle, shell lines and the
    Origin header (V5.2.4, V5.2.5, V5.3.8, V5.5.3, V14.5.2)?"""
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("webapp", "sync")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert found == []


# Every ASVS 4.0.3 requirement marked for Level 2, by section: numbers within it.
LEVEL_2 = (
    "1.1:1-7 1.2:1-4 1.4:1,4-5 1.5:1-4 1.6:1-4 1.7:1-2 1.8:1-2 1.9:1-2 1.10:1 1.11:1-2 1.12:2 "
    "1.14:1-6 2.1:1-12 2.2:1-3 2.3:1-3 2.4:1-5 2.5:1-7 2.6:1-3 2.7:1-6 2.8:1-7 2.9:1-3 2.10:1-4 "
    "3.1:1 3.2:1-4 3.3:1-4 3.4:1-5 3.5:1-3 3.7:1 4.1:1-3,5 4.2:1-2 4.3:1-3 5.1:1-5 5.2:1-8 "
    "5.3:1-10 5.4:1-3 5.5:1-4 6.1:1-3 6.2:1-6 6.3:1-2 6.4:1-2 7.1:1-4 7.2:1-2 7.3:1,3-4 7.4:1-3 "
    "8.1:1-4 8.2:1-3 8.3:1-8 9.1:1-3 9.2:1-4 10.2:1-2 10.3:1-3 11.1:1-8 12.1:1-3 12.2:1 "
    "12.3:1-6 12.4:1-2 12.5:1-2 12.6:1 13.1:1,3-5 13.2:1-3,5-6 13.3:1-2 13.4:1-2 14.1:1-4 "
    "14.2:1-6 14.3:2-3 14.4:1-7 14.5:1-4"
)


def _level_2() -> set[str]:
    ids = set()
    for part in LEVEL_2.split():
        section, numbers = part.split(":")
        for piece in numbers.split(","):
            low, _, high = piece.partition("-")
            ids |= {f"V{section}.{n}" for n in range(int(low), int(high or low) + 1)}
    return ids


def _asvs_table() -> str:
    text = (ROOT / "docs" / "security.md").read_text("utf-8")
    start = text.index("## ASVS 4.0.3 Level 2")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_the_asvs_table_maps_every_level_2_requirement():
    """Does docs/security.md's table have a row for each of the 259 Level 2 requirements,
    and none that is not one?"""
    rows = set()
    for line in _asvs_table().splitlines():
        if not line.startswith("| V"):
            continue
        cell = line.split("|")[1].strip()
        match = re.fullmatch(r"V(\d+)\.(\d+)\.(\d+)(?:[–-]V?\d+\.\d+\.(\d+))?", cell)
        assert match, f"not a requirement id: {cell!r}"
        a, b, low, high = match.groups()
        rows |= {f"V{a}.{b}.{n}" for n in range(int(low), int(high or low) + 1)}
    assert len(_level_2()) == 259
    assert sorted(_level_2() - rows, key=_order) == []
    assert sorted(rows - _level_2(), key=_order) == []


def _order(req: str) -> tuple[int, ...]:
    return tuple(int(p) for p in req[1:].split("."))


def test_every_test_the_security_doc_names_exists():
    """Does every `tests/...py::test_name` in docs/security.md name a test function that
    exists, so the table cannot point at a renamed or deleted test?"""
    text = (ROOT / "docs" / "security.md").read_text("utf-8")
    named = set(re.findall(r"(tests/[\w/]+\.py)::(test_\w+)", text))
    assert len(named) > 40
    missing = [
        f"{path}::{name}"
        for path, name in sorted(named)
        if not (ROOT / path).exists()
        or not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text("utf-8"), re.M)
    ]
    assert missing == []


@pytest.mark.parametrize("word", ["met", "partly", "gap", "n/a", "deployment"])
def test_the_table_uses_its_own_words(word):
    """Is each status word of the table's legend used (a table of only "met" says little)?"""
    assert f"| {word} |" in _asvs_table()
