"""Estate scoping: a user of another estate gets 404 on every registry URL, import and export."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import Building, Estate, Key, Sign, Unit, User


@pytest.fixture
def outsider(app, client, auth, seed):
    """A supervisor who sees only the second estate, logged in."""
    with app.app_context():
        user = User(username="outsider-sup", role="supervisor")
        user.set_password("outsider-pass")
        user.estates = [db.session.get(Estate, seed.estate_ids[1])]
        db.session.add(user)
        db.session.commit()
    auth.login("outsider-sup", "outsider-pass")
    return client


def registry_urls(app, estate_id):
    """Every registry URL naming an object of the estate, with real kinds and formats."""
    with app.app_context():
        ids = {
            "building": db.session.scalar(
                sa.select(Building.id).where(Building.estate_id == estate_id)
            ),
            "unit": db.session.scalar(sa.select(Unit.id).where(Unit.estate_id == estate_id)),
            "sign": db.session.scalar(sa.select(Sign.id).where(Sign.estate_id == estate_id)),
            "key": db.session.scalar(sa.select(Key.id).where(Key.estate_id == estate_id)),
        }
    e = f"/registry/estates/{estate_id}"
    urls = [("GET", e), ("POST", f"{e}/buildings")]
    for plural in ("units", "signs", "keys"):
        urls += [("GET", f"{e}/{plural}"), ("POST", f"{e}/{plural}")]
        urls += [("GET", f"{e}/{plural}/export.{fmt}") for fmt in ("csv", "xlsx")]
        urls += [
            ("GET", f"{e}/import/{plural}"),
            ("POST", f"{e}/import/{plural}"),
            ("POST", f"{e}/import/{plural}/commit"),
        ]
        urls += [("GET", f"{e}/import/{plural}/template.{fmt}") for fmt in ("csv", "xlsx")]
    for kind, item_id in ids.items():
        base = f"/registry/{kind}s/{item_id}"
        urls += [
            ("GET", base),
            ("GET", f"{base}/edit"),
            ("POST", f"{base}/edit"),
            ("POST", f"{base}/active"),
        ]
    urls.append(("POST", f"/registry/units/{ids['unit']}/status"))
    return urls


def test_another_estates_user_gets_404_on_every_registry_url(app, outsider, auth, seed):
    """Does every registry page, edit, import, template and export of estate A answer 404
    to a supervisor of estate B, whatever is posted?"""
    token = auth.csrf("/")
    urls = registry_urls(app, seed.estate_ids[0])
    assert len(urls) >= 40
    for method, url in urls:
        data = {"csrf_token": token, "status": "vacant", "active": "0", "token": "x"}
        if "/import/" in url and method == "POST":
            data["file"] = (io.BytesIO(b"\xe6\xa3\x9f\n1"), "u.csv")
        response = outsider.open(url, method=method, data=data)
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
    with app.app_context():
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(~Unit.active)) == 0
        )


def test_the_same_urls_work_for_the_estates_own_supervisor(app, client, auth, seed):
    """Are those URLs real (so the 404s above mean scoping, not typos)?"""
    auth.login("supervisor")
    for method, url in registry_urls(app, seed.estate_ids[0]):
        if method == "GET":
            response = client.get(url)
            assert response.status_code in (200, 302), f"{url}: {response.status_code}"


def test_lists_never_show_another_estates_items(app, client, auth, seed):
    """Does a search across the registry find nothing of an estate the user cannot see?"""
    auth.login("patrol2")  # a patroller cannot use the desktop registry at all
    assert client.get(f"/registry/estates/{seed.estate_ids[1]}/units").status_code == 403
    auth.logout()
    auth.login("supervisor")
    assert client.get(f"/registry/estates/{seed.estate_ids[1]}/units").status_code == 404
    index = client.get("/registry/")
    assert index.headers["Location"] == f"/registry/estates/{seed.estate_ids[0]}"
