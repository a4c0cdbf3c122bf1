"""A user of one estate neither sees nor changes another estate's findings."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models.review import FindingEvent
from webapp.models.sync import Finding


def test_other_estates_finding_is_404_for_every_route(app, client, auth, post, other_finding):
    """Does estate A's supervisor get 404 reading, moving, commenting on or dating B's finding?"""
    auth.login("supervisor")
    assert client.get(f"/review/findings/{other_finding}").status_code == 404
    assert post(f"/review/findings/{other_finding}/move", {"to": "closed"}).status_code == 404
    assert post(f"/review/findings/{other_finding}/comments", {"body": "x"}).status_code == 404
    assert post(f"/review/findings/{other_finding}/due", {"due": "2030-01-01"}).status_code == 404
    with app.app_context():
        assert db.session.get(Finding, other_finding).status == "open"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FindingEvent)) == 0


def test_other_estates_findings_are_not_listed_or_exported(
    app, client, auth, finding, other_finding, seed
):
    """Are another estate's findings absent from the list, the exports and the dashboard?"""
    auth.login("supervisor")
    for path in (
        "/review/findings?status=all",
        "/review/findings.csv?status=all",
        "/review/dashboard",
    ):
        body = client.get(path).get_data(as_text=True)
        assert other_finding not in body, path
    assert finding in client.get("/review/findings?status=all").get_data(as_text=True)


def test_asking_for_another_estate_by_filter_is_404(client, auth, seed, finding):
    """Is naming another estate in the estate filter or dashboard answered 404?"""
    auth.login("supervisor")
    other = seed.estate_ids[1]
    assert client.get(f"/review/findings?estate={other}").status_code == 404
    assert client.get(f"/review/findings.xlsx?estate={other}").status_code == 404
    assert client.get(f"/?estate={other}").status_code == 404
    assert client.get(f"/review/dashboard?estate={other}").status_code == 404
