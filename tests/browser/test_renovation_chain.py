"""Issue #20's Done-when chain after the notice, in real Chromium with the phone offline for
every patrol step: the notice's deadline comes, the rounds list the re-inspection, it fails →
stop-work (server: the 《停工通知》 and its alert); the owner puts it right → the re-inspection
passes (the notice rectified, the stop-work lifted) → the completion acceptance is done with
engineering and signed by owner, contractor and manager on the screen → the deposit refunded,
the permit closed, the unit back to occupied. (Issue, delivery, owner's signature: the test
beside this one.)"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sync.merge import Actor, push
from tests.browser import support
from tests.browser.support import SENT
from tests.browser.support import first_estate_units as _units
from tests.browser.support import until as _until
from tests.browser.test_phone_sync import _log_in_and_pull, _offline, _online
from tests.browser.test_renovation import _draw
from webapp.extensions import db
from webapp.models import Estate, LabelCode, Unit, User
from webapp.models.jobs import AlertEvent
from webapp.models.renovation import (
    Acceptance,
    AcceptanceSignature,
    DepositEntry,
    RectificationNotice,
    RenovationPermit,
    StopWork,
)
from webapp.renovation import permits
from webapp.renovation.status import estate_today

pytestmark = pytest.mark.browser


def _sync_now(page) -> None:
    page.goto("/app")
    _until(page, SENT, timeout_s=60)
    page.evaluate("async () => (await import('/static/build/sync.js')).sync()")


def test_reinspection_stop_work_and_acceptance_offline(page, context, live_server):
    app = live_server.app
    (unit,) = _units(app, 1, skip=7)
    with app.app_context():
        found = db.session.scalar(sa.select(LabelCode).where(LabelCode.code == unit["code"]))
        row = db.session.get(Unit, found.item_id)
        estate = db.session.get(Estate, row.estate_id)
        before, unit_id = row.status, row.id
        today = estate_today(estate)
        permit = permits.create(
            db.session,
            estate,
            {"unit_id": row.id, "number": "裝2026-CH1", "owner_name": "陳美玲",
             "contractor": "宏達裝修工程行", "starts_on": today - timedelta(days=10)},
            None,
        )  # fmt: skip
        permits.add_entry(db.session, permit, "received", 5000, today, "", None)
        permit_id = permit.id
        db.session.commit()
        # The notice issued a week ago by the patroller's phone, due today.
        patrol = db.session.scalar(sa.select(User).where(User.username == "patrol"))
        notice_id = str(uuid.uuid4())
        op = {
            "op_id": str(uuid.uuid4()),
            "type": "notice.issue",
            "occurred_at": (datetime.now(UTC) - timedelta(days=6)).isoformat(),
            "payload": {"id": notice_id, "code": unit["code"], "rules": ["facade"],
                        "deadline": today.isoformat(), "photos": []},
        }  # fmt: skip
        actor = Actor(user_id=patrol.id, estate_ids=[estate.id], device_id=None)
        [answer] = push(db.session, actor, [op], datetime.now(UTC))
        assert answer["status"] == "applied"
        db.session.commit()
        number = answer["data"]["number"]

    _log_in_and_pull(page)
    _offline(context)
    # The deadline is today: the rounds list the re-inspection, linking the unit.
    page.goto("/app/rounds")
    card = page.locator("#rp-reinspect")
    card.wait_for(state="visible")
    assert unit["label"] in card.inner_text() and number in card.inner_text()
    card.locator("a").first.click()

    # Not put right: re-inspected as such, offline.
    entry = page.locator(f"#item-notices .notice-entry[data-notice='{notice_id}']")
    entry.wait_for(state="visible")
    entry.locator("[data-notice-reinspect]").click()
    form = page.locator("[data-notice-form=reinspect]")
    form.locator("input[name=result][value=not_rectified]").check()
    form.locator("#reinspect-note").fill("外牆開窗仍未恢復")
    form.locator("button[type=submit]").click()
    page.locator(f".notice-entry[data-notice='{notice_id}'][data-status=escalated]").wait_for()
    assert page.locator(f".notice-entry[data-notice='{notice_id}'] [data-stop-work]").count() == 1

    _online(context)
    _sync_now(page)
    with app.app_context():
        assert db.session.get(RectificationNotice, notice_id).status == "escalated"
        stop = db.session.scalar(sa.select(StopWork).where(StopWork.notice_id == notice_id))
        assert stop is not None and stop.lifted_at is None
        assert db.session.scalar(
            sa.select(AlertEvent).where(AlertEvent.key == f"stop_work:{notice_id}")
        )

    # Put right: re-inspected again, offline; then the acceptance, signed by three.
    _offline(context)
    page.goto(f"/q/{unit['code']}")
    entry = page.locator(f"#item-notices .notice-entry[data-notice='{notice_id}']")
    entry.wait_for(state="visible")
    entry.locator("[data-notice-reinspect]").click()
    form = page.locator("[data-notice-form=reinspect]")
    form.locator("input[name=result][value=rectified]").check()
    form.locator("button[type=submit]").click()
    page.locator(f".notice-entry[data-notice='{notice_id}'][data-status=rectified]").wait_for()

    page.locator("[data-acceptance-start]").click()
    accept = page.locator("[data-acceptance-form=record]")
    for item in accept.locator("fieldset[data-item]").all():
        item.locator("input[value=yes]").check()
    accept.locator("#acceptance-engineer").fill("林工程師")
    accept.locator("button[type=submit]").click()
    sign = page.locator("[data-acceptance-form=sign]")
    sign.wait_for(state="visible")
    for role, name in (("owner", "陳美玲"), ("contractor", "宏達"), ("manager", "王主任")):
        sign.locator(f"#sign-{role}").fill(name)
        _draw(page, f"[data-acceptance-form=sign] [data-role={role}] canvas")
    # The item page's sticky save bar lies over the form's foot after three pads: submit it.
    sign.evaluate("f => f.requestSubmit()")
    page.locator(".acceptance-entry[data-signed='3']").wait_for()
    shots = support.screenshot_dir()
    if shots:
        page.screenshot(path=str(shots / "renovation-acceptance-offline.png"), full_page=True)

    _online(context)
    _sync_now(page)
    with app.app_context():
        assert db.session.get(RectificationNotice, notice_id).status == "rectified"
        stop = db.session.scalar(sa.select(StopWork).where(StopWork.notice_id == notice_id))
        assert stop.lifted_at is not None
        acceptance = db.session.scalar(sa.select(Acceptance).where(Acceptance.unit_id == unit_id))
        assert acceptance.result == "passed" and acceptance.engineer == "林工程師"
        roles = db.session.scalars(
            sa.select(AcceptanceSignature.role).where(
                AcceptanceSignature.acceptance_id == acceptance.id
            )
        ).all()
        assert sorted(roles) == ["contractor", "manager", "owner"]
        permit = db.session.get(RenovationPermit, permit_id)
        assert permit.close_reason == "accepted" and permit.deposit_held == 0
        refund = db.session.scalar(
            sa.select(DepositEntry).where(
                DepositEntry.permit_id == permit_id, DepositEntry.kind == "refunded"
            )
        )
        assert refund.amount == 5000 and refund.acceptance_id == acceptance.id
        assert db.session.get(Unit, unit_id).status == before
