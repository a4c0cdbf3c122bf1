"""Issue #20's Done-when walk in real Chromium, one chain with the phone offline for every patrol
step: the renovation patrol's check finds a load-bearing wall broken (重大違規) → the rounds
offer the notice for that finding, its rule ticked → issued, and delivered on the door with a
photo → its deadline comes, the rounds list the re-inspection, which fails → stop-work (the
《停工通知》 and its alert) → the owner puts it right, the re-inspection passes (notice
rectified, stop-work lifted) → the completion acceptance done with engineering and signed by
owner, contractor and manager → the deposit refunded, the permit closed, the unit back to its
status. Then the estate's supervisor opens the week's Saturday report and finds each step in its
count, on the page and in the PDF. (The notice's number on sync, the owner's signature and the
office's print: test_renovation.py.)"""

from __future__ import annotations

from datetime import timedelta

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa

from tests.browser import support
from tests.browser.support import OUTBOX, READY, SENT, add_patroller, add_round
from tests.browser.support import until as _until
from tests.browser.test_phone_sync import _offline, _online
from tests.browser.test_renovation import _draw, _jpeg, deliver_on_the_door
from webapp.extensions import db
from webapp.labels.codes import ensure_codes
from webapp.models import Unit, User, utcnow
from webapp.models.jobs import AlertEvent
from webapp.models.renovation import (
    Acceptance,
    AcceptanceSignature,
    DepositEntry,
    RectificationNotice,
    RenovationPermit,
    StopWork,
)
from webapp.models.sync import Check, Finding
from webapp.renovation import permits
from webapp.renovation.report_week import Week
from webapp.renovation.status import estate_today
from webapp.rounds.windows import open_windows

pytestmark = pytest.mark.browser

WALKER, WALKER_PASSWORD = "reno-walker", "reno-walker-1"
BOSS, BOSS_PASSWORD = "reno-boss", "reno-boss-1"


@pytest.fixture
def renovating_unit(live_server):
    """An estate of its own (where it is about noon, so the day's patrol window stays open and
    its report counts this walk alone): one occupied unit with a permit begun ten days ago and
    its deposit received today, the daily renovation patrol all day, its patroller and its
    supervisor."""
    with live_server.app.app_context():
        estate, building = support.add_estate(
            "裝修全程苑", support.noon_zone(utcnow()), "1棟", floors=5
        )
        unit = Unit(estate_id=estate.id, building_id=building.id, entrance="1", floor=3,
                    room="302", status="occupied")  # fmt: skip
        db.session.add(unit)
        db.session.flush()
        code = ensure_codes(db.session, "unit", [unit])[unit.id].code
        today = estate_today(estate)
        template = add_round(
            estate,
            kind="renovation",
            name="裝修巡檢（全天）",
            slots=[{"start": "00:00", "end": "00:00"}],
            anchor=today - timedelta(days=14),
        )
        add_patroller(estate, WALKER, WALKER_PASSWORD, "裝修 巡查員")
        boss = User(username=BOSS, display_name="裝修 主任", role="supervisor")
        boss.set_password(BOSS_PASSWORD)
        boss.estates.append(estate)
        db.session.add(boss)
        permit = permits.create(
            db.session,
            estate,
            {"unit_id": unit.id, "number": "裝2026-W01", "owner_name": "陳美玲",
             "contractor": "宏達裝修工程行", "starts_on": today - timedelta(days=10)},
            None,
        )  # fmt: skip
        permits.add_entry(db.session, permit, "received", 5000, today, "", None)
        open_windows(db.session, utcnow())  # the rounds' job, every five minutes
        facts = {
            "estate": estate.id,
            "unit": unit.id,
            "code": code,
            "label": unit.label,
            "round": template.id,
            "permit": permit.id,
            "today": today,
        }
        db.session.commit()
    return facts


def _sync_now(page) -> None:
    page.goto("/app")
    _until(page, SENT, timeout_s=60)
    page.evaluate("async () => (await import('/static/build/sync.js')).sync()")


def _cells(page, block: str) -> list[list[str]]:
    rows = page.locator(f"table[data-block={block}] tbody tr")
    return [[c.strip() for c in row.locator("td").all_inner_texts()] for row in rows.all()]


def test_the_whole_chain_offline_to_the_saturday_report(
    page, context, browser, live_server, renovating_unit, tmp_path
):
    app, facts = live_server.app, renovating_unit
    code, today = facts["code"], facts["today"]
    shots = support.screenshot_dir()

    page.goto("/app")
    page.wait_for_function("() => navigator.serviceWorker?.controller != null", timeout=45_000)
    support.log_in(page, WALKER, WALKER_PASSWORD)
    _until(page, READY)
    _offline(context)

    # The daily renovation patrol: the unit's check finds a load-bearing wall broken.
    page.goto("/app/rounds")
    page.wait_for_selector("html[data-rounds-ready]")
    page.goto(f"/app/rounds#r/{facts['round']}/c/{code}")
    check = page.locator("#rp-check")
    check.wait_for(state="visible")
    check.locator(".reason-tile[data-value=label_unreadable]").click()
    check.locator(".rp-allgood").click()
    check.locator(".rp-q[data-key=load_bearing] .rp-opt[data-value=no]").click()
    assert check.locator(".rp-q[data-key=load_bearing].is-failed").count() == 1
    site = tmp_path / "site.jpg"
    site.write_bytes(_jpeg((200, 40, 30)))
    check.locator("[data-rp-photo=photo]").set_input_files(str(site))
    check.locator(".rp-q[data-key=photo][data-photos='1']").wait_for()
    check.locator(".rp-save").click()

    # The rounds offer the notice for what was just found; it opens with the rule ticked.
    offer = page.locator(f"[data-notice-offer='{code}']")
    offer.wait_for(state="visible")
    if shots:
        page.screenshot(path=str(shots / "renovation-walk-offer.png"))
    offer.click()
    issue = page.locator("[data-notice-form=issue]")
    issue.wait_for(state="visible")
    assert issue.locator("input[name=rules][value=load_bearing]").is_checked()
    assert not issue.locator("input[name=rules][value=facade]").is_checked()
    assert issue.locator("[data-notice-photos='1']").count() == 1, "the check's photo goes with it"
    assert "#notice:" not in page.url, "a reload does not open the form again"
    issue.locator("#notice-deadline").fill(today.isoformat())
    issue.locator("button[type=submit]").click()
    entry = page.locator("#item-notices .notice-entry").first
    entry.wait_for(state="visible")
    assert entry.locator(".notice-number").inner_text() == "同步後編號"

    # Delivered: posted on the door, with its photo.
    deliver_on_the_door(page, entry, tmp_path)
    by_type = {e["type"]: e["payload"] for e in page.evaluate(OUTBOX)}
    assert set(by_type) >= {"check.record", "finding.create", "notice.issue", "notice.deliver"}
    notice_id = by_type["notice.issue"]["id"]
    assert by_type["notice.issue"]["finding_id"] == by_type["finding.create"]["id"]

    _online(context)
    _sync_now(page)
    with app.app_context():
        stored = db.session.get(Check, by_type["check.record"]["id"])
        assert stored.answers["load_bearing"] == "no"
        finding = db.session.get(Finding, by_type["finding.create"]["id"])
        assert finding.severity == "critical" and finding.check_id == stored.id
        notice = db.session.get(RectificationNotice, notice_id)
        assert notice.status == "delivered" and notice.rules == ["load_bearing"]
        assert notice.finding_id == finding.id and notice.delivery_method == "door"
        number = notice.number

    # The deadline is today: the rounds list the re-inspection; the wall is not put right.
    page.evaluate("async () => (await import('/static/build/sync.js')).sync()")
    _until(page, READY)
    _offline(context)
    page.goto("/app/rounds")
    card = page.locator("#rp-reinspect")
    card.wait_for(state="visible")
    assert facts["label"] in card.inner_text() and number in card.inner_text()
    card.locator("a").first.click()
    entry = page.locator(f"#item-notices .notice-entry[data-notice='{notice_id}']")
    entry.wait_for(state="visible")
    entry.locator("[data-notice-reinspect]").click()
    form = page.locator("[data-notice-form=reinspect]")
    form.locator("input[name=result][value=not_rectified]").check()
    form.locator("#reinspect-note").fill("承重牆開洞仍未修復")
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
    page.goto(f"/q/{code}")
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
    assert page.locator("[data-acceptance-start]").is_hidden(), "accepted: no second acceptance"
    if shots:
        page.screenshot(path=str(shots / "renovation-acceptance-offline.png"), full_page=True)

    _online(context)
    _sync_now(page)
    with app.app_context():
        assert db.session.get(RectificationNotice, notice_id).status == "rectified"
        stop = db.session.scalar(sa.select(StopWork).where(StopWork.notice_id == notice_id))
        assert stop.lifted_at is not None
        acceptance = db.session.scalar(
            sa.select(Acceptance).where(Acceptance.unit_id == facts["unit"])
        )
        assert acceptance.result == "passed" and acceptance.engineer == "林工程師"
        roles = db.session.scalars(
            sa.select(AcceptanceSignature.role).where(
                AcceptanceSignature.acceptance_id == acceptance.id
            )
        ).all()
        assert sorted(roles) == ["contractor", "manager", "owner"]
        permit = db.session.get(RenovationPermit, facts["permit"])
        assert permit.close_reason == "accepted" and permit.deposit_held == 0
        refund = db.session.scalar(
            sa.select(DepositEntry).where(
                DepositEntry.permit_id == facts["permit"], DepositEntry.kind == "refunded"
            )
        )
        assert refund.amount == 5000 and refund.acceptance_id == acceptance.id
        assert db.session.get(Unit, facts["unit"]).status == "occupied"

    # The supervisor's Saturday report of this week counts every step.
    office = browser.new_context(
        base_url=live_server.url, viewport={"width": 1440, "height": 900}, locale="zh-TW"
    )
    desk = office.new_page()
    support.log_in(desk, BOSS, BOSS_PASSWORD)
    week = Week.due_by(today + timedelta(days=7)).label  # the week (Sat–Fri) holding today
    desk.goto(f"/renovation/report?estate={facts['estate']}&week={week}")
    if shots:
        desk.screenshot(path=str(shots / "renovation-walk-report.png"), full_page=True)
    patrols = _cells(desk, "patrols")
    done_today = next(r for r in patrols if r[0].startswith(f"{today:%m-%d}"))
    assert int(done_today[2]) == 1, patrols  # 完成: the walk's check, in the window
    violations = {r[0]: r for r in _cells(desk, "violations")}
    assert violations["破壞承重牆"][2:] == ["1", "1"], violations  # failed on patrol, on a notice
    assert violations["重大違規合計"][2:] == ["1", "1"]
    # issued, delivered, rectified, overdue
    assert _cells(desk, "notices") == [["1", "1", "1", "0"]]
    assert _cells(desk, "stop_works") == [["1", "1"]]  # issued, lifted
    acceptances = _cells(desk, "acceptances")[0]
    assert acceptances[:2] == ["1", "0"], acceptances  # passed, failed
    deposits = _cells(desk, "deposits")[0]
    assert [d.replace(",", "") for d in deposits] == ["5000", "0", "5000", "0"], deposits
    response = desk.request.get(f"/renovation/report.pdf?estate={facts['estate']}&week={week}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    document = pdfium.PdfDocument(response.body())
    try:
        text = "\n".join(p.get_textpage().get_text_range() for p in document)
    finally:
        document.close()
    assert "停工" in text and "破壞承重牆" in text and week in text
    office.close()
