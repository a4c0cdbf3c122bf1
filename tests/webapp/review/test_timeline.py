"""A unit's page shows one timeline: checks, findings and their steps, key loans, label codes."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db
from webapp.models import LabelCode
from webapp.models.sync import Check, Finding


def _code_of(item_type, item_id):
    return db.session.scalar(
        sa.select(LabelCode.code).where(
            LabelCode.item_type == item_type, LabelCode.item_id == item_id, LabelCode.active
        )
    )


def test_unit_timeline_has_checks_findings_and_steps(app, client, auth, post, seed, finding):
    """Does the unit's page list its checks, the finding and its dispatch, newest first?"""
    with app.app_context():
        f = db.session.get(Finding, finding)
        unit_id = f.item_id
        checks = db.session.scalar(
            sa.select(sa.func.count()).where(Check.item_type == "unit", Check.item_id == unit_id)
        )
        code = _code_of("unit", unit_id)
    auth.login("supervisor")
    post(f"/review/findings/{finding}/move", {"to": "dispatched", "department": "engineering"})
    html = client.get(f"/q/{code}").get_data(as_text=True)
    history = html.split('id="item-history"', 1)[1]
    assert history.count('class="history-check"') == min(checks, 100)
    assert history.count('class="history-finding"') >= 1
    assert 'class="history-finding-step"' in history
    assert f"/review/findings/{finding}" in history
    assert 'class="history-label"' in history
    # The dispatch happened last, so it comes first.
    assert history.index("history-finding-step") < history.index('history-finding"')


def test_patroller_sees_the_timeline_without_finding_links(app, client, auth, seed, finding):
    """Does a patroller see the finding on the unit's timeline, without a link to review pages?"""
    with app.app_context():
        code = _code_of("unit", db.session.get(Finding, finding).item_id)
    auth.login("patrol")
    history = client.get(f"/q/{code}").get_data(as_text=True).split('id="item-history"', 1)[1]
    assert 'class="history-finding"' in history
    assert "/review/findings/" not in history


def test_key_timeline_has_its_loans(app, client, auth, seed):
    """Does a lent key's page show the loan from the demo history?"""
    from webapp.models.sync import KeyEvent

    with app.app_context():
        event = db.session.scalars(
            sa.select(KeyEvent)
            .where(KeyEvent.estate_id == seed.estate_ids[0])
            .order_by(KeyEvent.occurred_at)
        ).first()
        assert event is not None, "the seed has key loans"
        code = _code_of("key", event.key_id)
        name = event.borrower_name
    auth.login("supervisor")
    history = client.get(f"/q/{code}").get_data(as_text=True).split('id="item-history"', 1)[1]
    assert 'class="history-key"' in history
    assert name in history
