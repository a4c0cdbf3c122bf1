"""Open redirects: every redirect to a target the request names goes through one safe_next."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.webapp.review.conftest import make_finding
from webapp.extensions import db
from webapp.models import Unit
from webapp.models.sync import Finding
from webapp.urls import is_safe_path

ROOT = Path(__file__).resolve().parents[2]

# Each is decoded as the view reads it: /%09/evil.example arrives as "/\t/evil.example".
HOSTILE = [
    "//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/x",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    " //evil.example",
    "/\u2028/evil.example",
    "/\u200b/evil.example",
    "evil.example",
    "",
]


def _home_or(fallback: str, location: str) -> None:
    assert location in ("/", fallback), location


@pytest.mark.parametrize("target", HOSTILE)
def test_the_helper_refuses_every_way_off_the_site(target):
    assert not is_safe_path(target)


@pytest.mark.parametrize("target", ["/", "/review/findings?status=all&q=漏水", "/q/AB12-CD34"])
def test_the_helper_keeps_paths_of_this_site(target):
    assert is_safe_path(target)


@pytest.mark.parametrize("query", ["/%09/evil.example", "/%0d%0a/x", "%2F%2Fevil.example"])
def test_login_next_never_leaves_the_site_nor_fails(client, auth, seed, query):
    """Was /login?next=/%09/evil.example a redirect to //evil.example, and %0d%0a a 500?"""
    token = auth.csrf()
    response = client.post(
        f"/login?next={query}",
        data={"username": "patrol", "password": "patrol-demo", "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    response = client.get(f"/login?next={query}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE)
def test_posted_next_never_leaves_the_site(app, client, auth, seed, target):
    """Did POST /registry/units/<id>/status and POST /language go to any posted next?"""
    auth.login("supervisor")
    token = auth.csrf("/")
    with app.app_context():
        unit = db.session.scalar(
            sa.select(Unit.id).where(Unit.estate_id == seed.estate_ids[0]).order_by(Unit.id)
        )
        finding = db.session.scalar(
            sa.select(Finding.id).where(Finding.estate_id == seed.estate_ids[0]).limit(1)
        )
    response = client.post("/language", data={"locale": "en", "next": target, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    response = client.post(
        f"/registry/units/{unit}/status",
        data={"status": "vacant", "next": target, "csrf_token": token},
    )
    assert response.status_code == 303
    _home_or(f"/registry/units/{unit}", response.headers["Location"])
    assert response.headers["Location"].startswith("/registry/units/")
    response = client.post(
        f"/review/findings/{finding}/comments",
        data={"body": "已處理", "next": target, "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/review/findings/{finding}"
    with app.app_context():  # a bulk move is all or none: an open finding of its own to move
        fresh = make_finding(seed.estate_ids[0])
        db.session.commit()
    response = client.post(
        "/review/findings/bulk",
        data={"ids": [fresh], "to": "dispatched", "department": "cleaning",
              "due": "2031-02-03", "next": target, "csrf_token": token},
    )  # fmt: skip
    assert response.status_code == 303
    assert response.headers["Location"] == "/review/findings"


def test_a_safe_posted_next_is_followed(app, client, auth, seed):
    auth.login("supervisor")
    token = auth.csrf("/")
    response = client.post(
        "/language", data={"locale": "en", "next": "/review/findings?q=x", "csrf_token": token}
    )
    assert response.headers["Location"] == "/review/findings?q=x"


def test_every_user_named_redirect_goes_through_safe_next():
    """The class: no view redirects to a next, a referrer or request data of its own making."""
    offenders = []
    for path in (ROOT / "webapp").rglob("*.py"):
        if path.name == "urls.py":  # the helper itself
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            named = re.search(r"""get\(["']next["']|referrer|redirect\(request\.""", line)
            if named and "safe_next(" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
