"""A script in a finding's note, category or a comment is shown as text wherever it appears."""

from __future__ import annotations

import sqlalchemy as sa

from tests.webapp.review.conftest import make_finding
from webapp.extensions import db
from webapp.models import LabelCode, Unit
from webapp.review import workflow

PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ESCAPED = "&lt;script&gt;"


def _assert_escaped(html: str, where: str):
    assert "<script>alert" not in html, where
    assert "<img src=x onerror" not in html, where
    assert ESCAPED in html, f"{where}: payload not shown at all"


def test_payload_escaped_on_every_page_and_fragment(app, client, auth, post, seed):
    """Do the list, its fragment, the finding page, the dashboard, engineering's home and the
    unit's timeline all show the payload escaped?"""
    with app.app_context():
        fid = make_finding(seed.estate_ids[0], note=PAYLOAD, category=PAYLOAD[:60], days_ago=3)
        finding = db.session.get(workflow.Finding, fid)
        unit = db.session.get(Unit, finding.item_id)
        code = db.session.scalar(
            sa.select(LabelCode.code).where(
                LabelCode.item_type == "unit", LabelCode.item_id == unit.id, LabelCode.active
            )
        )
    auth.login("supervisor")
    assert post(f"/review/findings/{fid}/comments", {"body": PAYLOAD}).status_code == 303
    assert (
        post(
            f"/review/findings/{fid}/move",
            {"to": "dispatched", "department": "engineering", "due": "2000-01-01", "note": PAYLOAD},
        ).status_code
        == 303
    )
    pages = {
        "list": client.get("/review/findings"),
        "list fragment": client.get("/review/findings?q=script", headers={"HX-Request": "true"}),
        "finding page": client.get(f"/review/findings/{fid}"),
        "dashboard": client.get("/"),
        "dashboard fragment": client.get("/review/dashboard", headers={"HX-Request": "true"}),
        "item timeline": client.get(f"/q/{code}"),
    }
    for where, response in pages.items():
        assert response.status_code == 200, where
        _assert_escaped(response.get_data(as_text=True), where)
    auth.logout()
    auth.login("engineer")
    _assert_escaped(client.get("/").get_data(as_text=True), "engineering home")
    _assert_escaped(
        client.get(f"/review/findings/{fid}").get_data(as_text=True), "engineering finding page"
    )


def test_formula_in_export_is_text(app, client, auth, seed):
    """Is a note that starts like a spreadsheet formula exported as text, not a formula?"""
    with app.app_context():
        make_finding(seed.estate_ids[0], note='=HYPERLINK("http://evil","x")')
    auth.login("supervisor")
    csv_text = client.get("/review/findings.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv_text
    assert ",=HYPERLINK" not in csv_text and ',"=HYPERLINK' not in csv_text
