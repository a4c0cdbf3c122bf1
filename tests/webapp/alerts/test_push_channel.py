"""Alerts by Web Push: the push channel in the alerts' registry, end to end from a phone's
report to a request at a push service the test runs (tests/push_service.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests import push_service
from tests.sync.conftest import codes_of, finding_op
from tests.webapp.alerts.conftest import deliveries
from webapp.alerts import channels, push
from webapp.extensions import db
from webapp.models.alerts import AlertDelivery
from webapp.models.push import PushSubscription


@pytest.fixture
def recorder(push_recorder):
    return push_recorder


@pytest.fixture
def people(seed) -> dict[str, int]:
    """The demo's users by name (the alerts' own ``people`` adds addresses push needs not)."""
    return seed.user_ids


@pytest.fixture
def subscribed(app, people, recorder):
    """The first estate's supervisor turned notifications on in one browser (the recorder)."""
    app.config.update(PUSH_CA_BUNDLE=str(recorder.cert), PUSH_SERVICE_HOSTS=("127.0.0.1",))
    recorder.requests.clear()
    recorder.status.clear()
    browser = push_service.Subscriber.new()
    with app.app_context():
        keys = browser.subscription("")["keys"]
        db.session.add(
            PushSubscription(
                user_id=people["supervisor"],
                endpoint=recorder.url("supervisor"),
                session_id=push_service.signed_in(db.session, people["supervisor"]),
                **keys,
            )
        )
        db.session.commit()
    return browser


def test_push_is_a_registered_channel_that_reaches_only_the_subscribed(app, people, subscribed):
    assert "push" in [c.name for c in channels.ready(app.config)]
    with app.app_context():
        reached = channels.CHANNELS["push"].reachable(db.session, people.values())
    assert reached == {people["supervisor"]}


def test_a_critical_finding_reaches_the_supervisors_browser(
    app, phone, people, clock, jobs, subscribed, recorder
):
    """A critical finding: the supervisor's push delivery is sent — one request at the push
    service, Urgency high, the alert's key as its tag (and Topic), the finding's link."""
    code = codes_of(app, 1, "unit", 1)[0]
    sent = finding_op(code, severity="critical", category="漏水", note="水管爆裂")
    assert phone.push([sent]).status_code == 200
    jobs()
    assert ("critical_finding", "supervisor", "push", "sent") in deliveries(app)
    [request] = recorder.requests
    message = subscribed.decrypt(request.body)
    with app.app_context():
        key = db.session.scalar(sa.select(AlertDelivery.key).where(AlertDelivery.channel == "push"))
    assert message["tag"] == key and key.endswith(f":{people['supervisor']}:push")
    assert request.headers["topic"] == push._topic(key)
    assert request.headers["urgency"] == "high"
    assert message["title"].startswith("緊急報事：")
    assert message["url"] == f"http://127.0.0.1:5000/review/findings/{sent['payload']['id']}"


def test_a_push_service_that_refuses_is_tried_again_and_sends_once(
    app, phone, people, clock, jobs, subscribed, recorder
):
    """The push service answers 503: the delivery waits and its job is retried with back-off;
    once the service answers, the alert is sent — once."""
    recorder.status["/push/supervisor"] = 503
    code = codes_of(app, 1, "unit", 1)[0]
    phone.push([finding_op(code, severity="critical", category="漏水", note="水管爆裂")])
    jobs()
    assert ("critical_finding", "supervisor", "push", "sent") not in deliveries(app)
    assert len(recorder.requests) == 1
    recorder.status.clear()
    clock.advance(minutes=30)
    jobs()
    assert ("critical_finding", "supervisor", "push", "sent") in deliveries(app)
    assert len(recorder.requests) == 2
    clock.advance(hours=2)
    jobs()
    assert len(recorder.requests) == 2
