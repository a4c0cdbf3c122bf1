"""A whole signage round walked on a phone in real Chromium, offline, with the fake camera."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.browser import support
from tests.browser.support import OUTBOX, READY, add_patroller, add_round
from tests.browser.support import until as _until
from tests.browser.test_phone_sync import _launch, _offline, _online
from webapp.extensions import db
from webapp.labels.codes import ensure_codes
from webapp.models import Device, Sign, utcnow
from webapp.models.sync import Check, Finding

pytestmark = pytest.mark.browser

USER, PASSWORD = "walker", "walker-rounds-1"
PENDING = "async () => (await (await import('/static/build/sync.js')).status()).pending === 0"


@pytest.fixture(scope="module")
def signage_estate(live_server, tmp_path_factory):
    """A small estate with three signs on three floors of one building, a signage round open
    all day, a patroller of that estate only, and each sign's printed label as a camera video.
    The first sign in walking order has an earlier check (yesterday, answer "dirty")."""
    app = live_server.app
    folder = tmp_path_factory.mktemp("round-camera")
    with app.app_context():
        tz = support.noon_zone(utcnow())
        estate, building = support.add_estate("巡查測試苑", tz, "A棟", floors=3)
        # Added out of order: the phone must walk them by floor.
        signs = [
            Sign(
                estate_id=estate.id,
                category="floor",
                location=f"A棟{f}樓電梯廳",
                building_id=building.id,
                floor=f,
            )
            for f in (3, 1, 2)
        ]
        db.session.add_all(signs)
        db.session.flush()
        codes = ensure_codes(db.session, "sign", signs)
        today = utcnow().astimezone(ZoneInfo(tz)).date()
        template = add_round(
            estate,
            kind="signage",
            name="標識檢查（全天）",
            slots=[{"start": "00:00", "end": "00:00", "days": 1}],
            anchor=today,
        )
        user = add_patroller(estate, USER, PASSWORD, "巡查員 測試")
        db.session.flush()
        ordered = sorted(signs, key=lambda s: s.floor)
        _earlier_check(user, estate, codes[ordered[0].id].code, today, tz)
        walk = []
        for sign in ordered:
            code = codes[sign.id]
            png = support.label_png(code, live_server.url)
            video = support.write_y4m(png, folder / f"sign-{sign.id}.y4m")
            walk.append({"code": code.code, "label": sign.label, "video": video})
        facts = {"estate": estate.id, "round": template.id, "day": today, "walk": walk}
        db.session.commit()
    return facts


def _earlier_check(user, estate, code: str, today: date, tz: str) -> None:
    """Yesterday's check of a sign, answered "dirty", as a phone would have synced it."""
    from sync.merge import Actor, push

    device, _token = Device.issue(user, "舊手機")
    db.session.add(device)
    db.session.flush()
    when = datetime.combine(today - timedelta(days=1), datetime.min.time(), ZoneInfo(tz))
    when += timedelta(hours=10)
    op = {
        "op_id": str(uuid.uuid4()),
        "type": "check.record",
        "occurred_at": when.isoformat(),
        "payload": {
            "id": str(uuid.uuid4()),
            "code": code,
            "method": "scan",
            "result": "issue",
            "answers": {"_v": 1, "state": "dirty"},
            "photos": [],
        },
    }
    push(
        db.session, Actor(user_id=user.id, estate_ids=[estate.id], device_id=device.id), [op], when
    )


def _log_in(page) -> None:
    page.goto("/login")
    if not urlparse(page.url).path.startswith("/login"):
        return  # still logged in: the session cookie outlives a browser restart (12 h)
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))


def _open_round(page, round_id: int) -> None:
    page.goto("/app/rounds")
    page.wait_for_selector("html[data-rounds-ready]")
    page.click(f".rp-round-card[data-round='{round_id}'] a")
    page.locator("#rp-round").wait_for(state="visible")


def _scan(page, code: str) -> None:
    page.click(".rp-scan")
    page.locator("#rp-check").wait_for(state="visible", timeout=30_000)
    assert page.url.endswith(f"/c/{code}")
    assert page.locator("[data-method]").get_attribute("data-method") == "scan"


def test_a_whole_signage_round_offline_with_the_camera_reaches_coverage(
    browser, live_server, signage_estate, tmp_path
):
    """Walk every sign of a round with no network, each read by the camera; once the network
    is back and sync has run, does /api/reports/coverage show that window done everywhere?"""
    walk = signage_estate["walk"]
    round_id = signage_estate["round"]
    profile = tmp_path / "profile"

    # Online once: the service worker, the login, the token and the first pull.
    ctx = _launch(browser, live_server, profile, walk[0]["video"])
    page = ctx.new_page()
    problems = support.watch(page)
    page.goto("/app/rounds")
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=45_000,
    )
    _log_in(page)
    _until(page, READY)

    # From here on, no network at all.
    _offline(ctx)
    _open_round(page, round_id)
    assert page.locator(".rp-progress-n").get_attribute("data-progress") == "0/3"
    # The next checkpoint is the lowest floor, whatever order the signs were added in.
    assert page.locator(".rp-next").get_attribute("data-next") == walk[0]["code"]

    # 1: read by the camera; yesterday's answer ("dirty") is filled in; corrected to in place.
    _scan(page, walk[0]["code"])
    assert page.locator(".rp-prefill[data-prefilled]").is_visible()
    assert page.locator(".rp-opt[data-value=dirty] input").is_checked()
    page.click(".rp-opt[data-value=in_place]")
    page.click(".rp-save")
    page.locator("#rp-round").wait_for(state="visible")
    assert page.locator(".rp-progress-n").get_attribute("data-progress") == "1/3"
    assert page.locator(".rp-next").get_attribute("data-next") == walk[1]["code"]
    ctx.close()

    # 2: the phone is restarted (camera now on the next label), still with no network;
    # the sign is damaged, which makes a finding.
    ctx = _launch(browser, live_server, profile, walk[1]["video"])
    _offline(ctx)
    page = ctx.new_page()
    problems += support.watch(page)
    _open_round(page, round_id)
    assert page.locator(".rp-progress-n").get_attribute("data-progress") == "1/3"
    _scan(page, walk[1]["code"])
    page.click(".rp-opt[data-value=damaged]")
    assert page.locator(".rp-q.is-failed .rp-q-warn").is_visible()
    page.click(".rp-save")
    page.locator("#rp-round").wait_for(state="visible")
    assert page.locator(".rp-progress-n").get_attribute("data-progress") == "2/3"
    ctx.close()

    # 3: the last sign; the round ends on its summary with nothing left.
    ctx = _launch(browser, live_server, profile, walk[2]["video"])
    _offline(ctx)
    page = ctx.new_page()
    problems += support.watch(page)
    _open_round(page, round_id)
    _scan(page, walk[2]["code"])
    page.click(".rp-opt[data-value=in_place]")
    page.click(".rp-save")
    page.locator("#rp-summary").wait_for(state="visible")
    assert page.locator(".rp-summary-big").get_attribute("data-left") == "0"

    entries = page.evaluate(OUTBOX)
    checks = [e for e in entries if e["type"] == "check.record"]
    findings = [e for e in entries if e["type"] == "finding.create"]
    assert [c["payload"]["code"] for c in checks] == [w["code"] for w in walk]
    assert {c["payload"]["round_id"] for c in checks} == {str(round_id)}
    assert {c["payload"]["method"] for c in checks} == {"scan"}
    assert [f["payload"]["code"] for f in findings] == [walk[1]["code"]]
    assert findings[0]["payload"]["severity"] == "medium"
    assert findings[0]["payload"]["category"] == "標識問題"

    # The network comes back: sync drains the outbox.
    _online(ctx)
    page.goto("/app/rounds")
    _until(page, PENDING, timeout_s=45)
    assert page.evaluate(OUTBOX) == []

    _log_in(page)
    day = signage_estate["day"].isoformat()
    response = page.request.get(
        f"/api/reports/coverage?estate={signage_estate['estate']}&date={day}"
    )
    assert response.status == 200
    (window,) = [w for w in response.json()["windows"] if w["round"] == round_id]
    assert window["expected"] == 3
    assert window["done"] == 3
    assert [c["status"] for c in window["checkpoints"]] == ["done", "done", "done"]
    ctx.close()
    assert problems == []

    with live_server.app.app_context():
        stored = db.session.scalars(
            sa.select(Check).where(Check.round_id == str(round_id)).order_by(Check.occurred_at)
        ).all()
        assert [c.answers.get("state") for c in stored] == ["in_place", "damaged", "in_place"]
        assert all(c.answers.get("_v") == 1 for c in stored)
        finding = db.session.scalar(
            sa.select(Finding).where(Finding.estate_id == signage_estate["estate"])
        )
        assert finding is not None and finding.severity == "medium"


WINDOW_CASES = [
    # (slots, period_days, anchor, day, tz)
    (
        [{"start": "08:00", "end": "12:00"}, {"start": "14:00", "end": "18:00"}],
        1,
        "2026-01-05",
        "2026-11-27",
        "Asia/Taipei",
    ),
    ([{"start": "22:00", "end": "02:00"}], 1, "2026-01-05", "2026-11-27", "Asia/Taipei"),
    ([{"start": "00:00", "end": "00:00", "days": 7}], 7, "2026-01-05", "2026-11-23", "Asia/Taipei"),
    ([{"start": "00:00", "end": "00:00", "days": 7}], 7, "2026-01-05", "2026-11-24", "Asia/Taipei"),
    ([{"start": "01:00", "end": "04:00"}], 1, "2026-01-05", "2026-03-08", "America/New_York"),
    ([{"start": "23:30", "end": "01:30"}], 1, "2026-01-05", "2026-11-01", "America/New_York"),
    ([{"start": "08:00", "end": "18:00"}], 3, "2026-01-05", "2025-12-30", "Europe/London"),
]


def test_the_phone_computes_the_same_windows_as_the_server(page):
    """Does the phone's window maths (estate timezone, midnight, DST, repeats) give the same
    windows and next starts as webapp/rounds/rules.py?"""
    from webapp.rounds import rules

    page.goto("/app/rounds")
    page.wait_for_selector("html[data-rounds-ready]")
    compared = 0
    for slots, period, anchor, day, tz in WINDOW_CASES:
        schedule = rules.Schedule(
            tuple((s["start"], s["end"], s.get("days", 0)) for s in slots),
            period,
            date.fromisoformat(anchor),
        )
        expected = [
            [
                int(w.start.timestamp() * 1000),
                int(w.end.timestamp() * 1000),
                int(rules.next_start(schedule, w, tz).timestamp() * 1000),
            ]
            for w in rules.windows_starting(schedule, date.fromisoformat(day), tz)
        ]
        got = page.evaluate(
            """async ([round, day, tz]) => {
              const m = await import('/static/build/rounds.js');
              return m.windowsStarting(round, day, tz)
                .map((w) => [w.start, w.end, m.nextStart(round, w, tz)]);
            }""",
            [{"slots": slots, "period_days": period, "anchor": anchor}, day, tz],
        )
        assert got == expected, (slots, day, tz)
        compared += len(expected)
    assert compared == 7  # every case but the vacant round's off day has its windows


@pytest.mark.parametrize("view", ["round", "checkpoint"])
def test_a_round_opened_before_the_first_pull_waits_for_it(page, signage_estate, view):
    """A patroller taps a round's link — or a checkpoint's of it — at once after the first
    login, while the phone is still copying the estate: the round is not on the phone yet. Is
    that said as it is (still fetching, the link kept) rather than "no longer on this phone"
    with the link dropped, and does the round or the check open by itself once the pull
    arrives? (The checkpoint's view read the rounds it had before the pull, and then said the
    round was gone.)"""
    round_id = signage_estate["round"]
    code = signage_estate["walk"][1]["code"]
    where = f"#r/{round_id}" if view == "round" else f"#r/{round_id}/c/{code}"
    held = {"pull": True}

    def pull(route):
        if held["pull"]:
            route.abort()
        else:
            route.continue_()

    page.context.route("**/api/sync/pull*", pull)
    _log_in(page)
    page.goto(f"/app/rounds{where}")
    page.wait_for_selector("html[data-rounds-ready]")
    fetching = page.locator("#rp-round [data-rp-fetching]")
    fetching.wait_for(state="visible")
    assert "仍在下載" in fetching.inner_text()
    assert page.url.endswith(where)
    assert "已沒有該巡查" not in page.locator("body").inner_text()

    held["pull"] = False
    page.evaluate("async () => { await (await import('/static/build/sync.js')).sync(); }")
    if view == "round":
        page.locator("#rp-round .rp-head").wait_for(state="visible", timeout=30_000)
        assert page.locator("#rp-round h1").inner_text() == "標識檢查（全天）"
    else:
        page.locator("#rp-check .rp-save").wait_for(state="visible", timeout=30_000)
        assert signage_estate["walk"][1]["label"] in page.locator("#rp-check").inner_text()
    assert page.url.endswith(where)
    assert "已沒有該巡查" not in page.locator("body").inner_text()
