"""`/Q/<CODE>`, what a label's QR carries, is answered exactly as `/q/<code>`."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.labels import codes, printing
from webapp.models import LabelCode


def _code(app, item_type, estate_id) -> str:
    with app.app_context():
        return db.session.scalars(
            sa.select(LabelCode.code).where(
                LabelCode.item_type == item_type, LabelCode.estate_id == estate_id, LabelCode.active
            )
        ).first()


def _same(response, path) -> str:
    """A page with its own address, the (timed) CSRF token and an error page's request id
    taken out, to compare two."""
    text = response.get_data(as_text=True).replace(path, "PATH")
    text = re.sub(r'class="request-id">[^<]*<', "REQUEST", text)
    return re.sub(r'(csrf_token" value=|X-CSRFToken": )"[^"]+"', "TOKEN", text)


@pytest.mark.parametrize("kind", ["unit", "key", "sign"])
def test_the_printed_url_opens_the_same_page_as_the_lower_case_one(app, client, auth, seed, kind):
    """Does the path a label's QR carries open the item's page, the very page /q/<code> is?"""
    code = _code(app, kind, seed.estate_ids[0])
    printed = urlsplit(printing.code_url("https://rounds.example.com", code)).path
    assert printed == f"/Q/{code}"
    auth.login("desk" if kind == "key" else "patrol")
    upper, lower = client.get(printed), client.get(f"/q/{code.lower()}")
    assert upper.status_code == lower.status_code == 200
    assert _same(upper, printed) == _same(lower, f"/q/{code.lower()}")


def test_a_retired_code_in_upper_case_says_it_was_replaced(app, client, auth, seed):
    """Does an old label's /Q/ URL open the item with the same replaced notice?"""
    with app.app_context():
        old = db.session.scalars(
            sa.select(LabelCode).where(
                LabelCode.item_type == "unit", LabelCode.estate_id == seed.estate_ids[0]
            )
        ).first()
        new = codes.retire_and_replace(db.session, old, "label torn")
        db.session.commit()
        old_code, new_code = old.code, new.code
    auth.login("patrol")
    upper, lower = client.get(f"/Q/{old_code}"), client.get(f"/q/{old_code}")
    assert "這張標籤已於" in upper.get_data(as_text=True)
    assert f"/q/{new_code}" in upper.get_data(as_text=True)  # links stay canonical
    assert _same(upper, f"/Q/{old_code}") == _same(lower, f"/q/{old_code}")


def test_unknown_and_foreign_upper_case_codes_get_the_same_404(app, client, auth, seed):
    """Are an unknown and another estate's code under /Q/ the one 404 they are under /q/?"""
    foreign = _code(app, "unit", seed.estate_ids[1])
    auth.login("patrol")
    pages = {}
    for prefix in ("/q/", "/Q/"):
        for name, code in (("unknown", "0000000000000000"), ("foreign", foreign)):
            response = client.get(prefix + code)
            assert response.status_code == 404
            pages[prefix, name] = _same(response, prefix + code)
    assert len(set(pages.values())) == 1
    auth.logout()
    auth.login("patrol2")
    assert client.get(f"/Q/{foreign}").status_code == 200


def test_a_signed_out_upper_case_scan_logs_in_then_opens_the_item(app, client, auth, seed):
    """Signed out, does /Q/<CODE> go to the login form and, after it, back to /Q/<CODE>?"""
    code = _code(app, "sign", seed.estate_ids[0])
    response = client.get(f"/Q/{code}")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "/login" in location and f"next=/Q/{code}" in location
    response = client.post(
        f"/login?next=/Q/{code}",
        data={"username": "patrol", "password": "patrol-demo", "csrf_token": auth.csrf()},
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/Q/{code}"
    assert client.get(f"/Q/{code}").status_code == 200


def test_links_to_items_stay_lower_case(app):
    """Does url_for still build /q/<code> (the upper-case path only answers labels)?"""
    with app.test_request_context():
        from flask import url_for

        assert url_for("items.show", code="ABC") == "/q/ABC"
