"""What a patroller's fingers do on a real phone (issue 15), in real Chromium: a double tap is
one entry, an entry still waiting can be taken back, an unknown code is told for what it is,
a damaged label is found by its address, and the small things the first day showed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.browser import support
from tests.browser.conftest import log_in, log_in_and_pull
from tests.browser.support import HAS_TOKEN, IDLE, OWN, READY, SYNC, add_patroller, add_round
from tests.browser.support import until as _until
from tests.browser.test_phone_sync import _units
from webapp.extensions import db
from webapp.labels.codes import ensure_codes
from webapp.models import Key, LabelCode, Sign, Unit, utcnow
from webapp.models.sync import Check, KeyEvent

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def door_photo(tmp_path_factory) -> str:
    """A camera photo of a closed door (any JPEG will do)."""
    path = tmp_path_factory.mktemp("door") / "door.jpg"
    Image.new("RGB", (1200, 900), (120, 90, 60)).save(path, "JPEG", quality=80)
    return str(path)


def _settle(page) -> None:
    """Let a second save (if a double tap started one) finish before counting."""
    page.wait_for_timeout(600)
    _until(page, IDLE)


def _key(app, offset: int, fresh: bool = True) -> dict:
    """A public-area key of the first estate; `fresh`: in the cabinet with no events."""
    return support.first_estate_keys(app, "public_area", 1, skip=offset, fresh=fresh)[0]


# ---------------------------------------------------------------- defect 3: one tap, one op


def test_double_tap_on_save_records_one_check(page, live_server):
    """Double-tapping 儲存 on an item page: is exactly one check kept and sent?"""
    app = live_server.app
    (unit,) = _units(app, 1, skip=16)
    log_in(page)
    page.goto(f"/q/{unit['code']}")
    page.locator("#record .choice-ok").click()
    page.fill("#record-note", "雙擊儲存")
    page.dblclick(".record-save")
    page.wait_for_function("() => Number(document.getElementById('record').dataset.saved) >= 1")
    _settle(page)
    entries = page.evaluate(OWN, unit["code"])
    assert len(entries) == 1, entries
    _until(page, HAS_TOKEN)
    page.evaluate(SYNC)
    _until(
        page, "async () => (await (await import('/static/build/sync.js')).status()).pending === 0"
    )
    with app.app_context():
        notes = db.session.scalars(sa.select(Check.note).where(Check.code == unit["code"])).all()
    assert notes.count("雙擊儲存") == 1


def test_double_tap_on_lend_lends_once(page, live_server):
    """Double-tapping the lend button: one key.lend op, and the key is out, not disputed?"""
    app = live_server.app
    key = _key(app, 0)
    log_in(page, "desk")
    page.goto("/")
    _until(page, READY, timeout_s=45)
    page.goto("/app/keys#lend")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='lend']")
    page.fill("[data-keys-manual] input", key["short"])
    page.press("[data-keys-manual] input", "Enter")
    page.locator(f"[data-basket='lend'] [data-code='{key['code']}']").wait_for()
    page.fill("#keys-borrower", "雙擊借用人")
    page.click(".choice-contractor")
    page.dblclick("[data-keys-submit='lend']")
    page.locator(".keys-saved").wait_for(state="visible")
    _settle(page)
    lends = [e for e in page.evaluate(OWN, key["code"]) if e["type"] == "key.lend"]
    assert len(lends) == 1, lends
    page.evaluate(SYNC)
    _until(
        page, "async () => (await (await import('/static/build/sync.js')).status()).pending === 0"
    )
    with app.app_context():
        assert db.session.get(Key, key["id"]).status == "out"
        events = db.session.scalars(sa.select(KeyEvent).where(KeyEvent.key_id == key["id"])).all()
        assert len(events) == 1


def test_a_waiting_check_can_be_taken_back_and_is_never_sent(page, live_server):
    """A check still waiting in the outbox: can the patroller take it back from the item's
    list, so that it leaves the outbox, stays on the phone marked as taken back, and never
    reaches the server?"""
    app = live_server.app
    (unit,) = _units(app, 1, skip=17)
    log_in(page)
    # The server cannot be reached for sending: the entry waits.
    page.route("**/api/sync/push", lambda route: route.abort())
    page.goto(f"/q/{unit['code']}")
    page.locator("#record .choice-issue").click()
    page.fill("#record-note", "記錯了，取回")
    page.click(".record-save")
    row = page.locator("#phone-history .phone-entry.is-pending")
    row.wait_for()
    row.locator("[data-take-back]").click()
    row.locator("[data-take-back-confirm]").click()
    page.locator("#phone-history .phone-entry.is-withdrawn").wait_for()
    entries = page.evaluate(OWN, unit["code"])
    assert [(e["where"], e["state"]) for e in entries] == [("journal", "withdrawn")]
    assert entries[0]["withdrawn_at"]
    status = "async () => (await import('/static/build/sync.js')).status()"
    assert page.evaluate(status)["pending"] == 0

    page.unroute("**/api/sync/push")
    _until(page, HAS_TOKEN)
    page.evaluate(SYNC)
    _until(page, IDLE)
    with app.app_context():
        assert db.session.scalar(sa.select(Check).where(Check.op_id == entries[0]["op_id"])) is None
    # It stays listed, as taken back, after a reload.
    page.reload()
    page.locator("#phone-history .phone-entry.is-withdrawn").wait_for()


def test_a_waiting_lend_can_be_taken_back_from_the_key_screens(page, live_server):
    """On the key screens' list of entries waiting to sync: does taking back a lend put the
    key back in the cabinet on the phone, and is the lend never sent?"""
    app = live_server.app
    key = _key(app, 1)
    log_in(page, "desk")
    page.goto("/")
    _until(page, READY, timeout_s=45)
    page.route("**/api/sync/push", lambda route: route.abort())
    page.goto("/app/keys#lend")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='lend']")
    page.fill("[data-keys-manual] input", key["short"])
    page.press("[data-keys-manual] input", "Enter")
    page.locator(f"[data-basket='lend'] [data-code='{key['code']}']").wait_for()
    page.fill("#keys-borrower", "借錯了")
    page.click(".choice-staff")
    page.click("[data-keys-submit='lend']")
    page.locator(".keys-saved").wait_for(state="visible")
    page.goto("/app/keys#home")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='home']")
    row = page.locator(f".keys-waiting .keys-entry[data-code='{key['code']}']")
    row.locator("[data-take-back]").click()
    row.locator("[data-take-back-confirm]").click()
    page.locator(f".keys-synced .keys-entry.is-withdrawn[data-code='{key['code']}']").wait_for()
    page.wait_for_selector(".keys-waiting[data-waiting='0']")
    page.unroute("**/api/sync/push")
    page.evaluate(SYNC)
    _until(page, IDLE)
    with app.app_context():
        assert db.session.get(Key, key["id"]).status == "in"
        assert not db.session.scalars(sa.select(KeyEvent).where(KeyEvent.key_id == key["id"])).all()


# ---------------------------------------------------------------- defect 9: the small things

NIGHT_USER, NIGHT_PASSWORD = "nightwalker", "nightwalker-rounds-1"


def _one_am_zone(now: datetime) -> str:
    """A zone where it is about 01:00 now: yesterday's 14:00–18:00 window is the latest one."""
    offset = ((1 - now.hour + 12) % 24) - 12  # UTC+offset; Etc/GMT signs are inverted
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@pytest.fixture(scope="module")
def night_estate(live_server):
    """An estate where it is 01:00, a building with two entrances, a vacant unit on the third
    floor of each, a vacant-unit round every afternoon 14:00–18:00, and its patroller."""
    app = live_server.app
    with app.app_context():
        tz = _one_am_zone(utcnow())
        estate, building = support.add_estate("夜巡測試苑", tz, "1棟", floors=5)
        units = [
            Unit(
                estate_id=estate.id,
                building_id=building.id,
                entrance=entrance,
                floor=3,
                room="301",
                status="vacant",
            )
            for entrance in ("1", "2")
        ]
        db.session.add_all(units)
        db.session.flush()
        codes = ensure_codes(db.session, "unit", units)
        today = utcnow().astimezone(ZoneInfo(tz)).date()
        template = add_round(
            estate,
            kind="vacant",
            name="空置房巡查（下午）",
            slots=[{"start": "14:00", "end": "18:00"}],
            anchor=today - timedelta(days=7),
        )
        add_patroller(estate, NIGHT_USER, NIGHT_PASSWORD, "夜巡 測試")
        facts = {
            "round": template.id,
            "yesterday": today - timedelta(days=1),
            "codes": [codes[u.id].code for u in units],
        }
        db.session.commit()
    return facts


def test_rounds_after_midnight_name_entrances_one_note_box_and_no_access_photos(
    page, night_estate, door_photo
):
    """At 01:00: does yesterday's afternoon window carry its own date; do the checkpoint
    groups name the entrance (not 「1棟 · 3樓」 twice); does the vacant checklist show one
    備註 box; and can a "nobody home" outcome take a photo?"""
    support.log_in(page, NIGHT_USER, NIGHT_PASSWORD)
    _until(page, READY, timeout_s=45)
    page.goto("/app/rounds")
    page.wait_for_selector(f"[data-round='{night_estate['round']}']")
    when = page.locator(f"[data-round='{night_estate['round']}'] .rp-round-when").inner_text()
    y = night_estate["yesterday"]
    assert f"{y.month}/{y.day}" in when, when

    page.goto(f"/app/rounds#r/{night_estate['round']}")
    page.wait_for_selector("#rp-round .rp-group")
    groups = page.locator("#rp-round .rp-group").all_inner_texts()
    assert len(groups) == len(set(groups)) == 2, groups
    assert all("單元" in g for g in groups), groups

    code = night_estate["codes"][0]
    page.goto(f"/app/rounds#r/{night_estate['round']}/c/{code}")
    page.wait_for_selector("#rp-check .rp-form")
    assert page.locator("#rp-check textarea").count() == 1
    assert page.locator("#rp-check label:text-is('備註')").count() == 1

    # Opened from its address, not its label: the phone asks why it was not scanned.
    page.click("#rp-check .reason-tile[data-value='label_missing']")
    page.click("#rp-check .rp-opt[data-value='nobody_home']")
    camera = page.locator("#rp-check [data-rp-outcome-photo]")
    page.set_input_files("#rp-check [data-rp-outcome-photo]", door_photo)
    page.wait_for_selector("#rp-check [data-rp-outcome-photos='1']")
    assert camera.count() == 1
    page.fill("#rp-note", "無人應門，門上留了通知")
    page.click("#rp-check .rp-save")
    page.wait_for_function("() => !location.hash.includes('/c/')")
    entries = [e for e in page.evaluate(OWN, code) if e["type"] == "check.record"]
    assert len(entries) == 1
    assert entries[0]["payload"]["result"] == "no_access"
    assert len(entries[0]["payload"]["photos"]) == 1
    assert entries[0]["payload"]["answers"]["no_access"] == "nobody_home"  # the contract's word
    assert entries[0]["payload"]["manual_reason"] == "label_missing"


def test_key_screens_and_the_empty_patrol_card_use_the_apps_words(page):
    """Do the key screens say QR 碼 / 短碼 / 網路 as the rest of the app does, and does the empty
    /app card say what brings the data (not 「將在之後的更新提供」)?"""
    page.goto("/app/keys#lend")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='lend']")
    words = page.locator("#keys-config").text_content() + page.locator("body").inner_text()
    placeholder = page.locator("[data-keys-manual] input").get_attribute("placeholder")
    assert "QR 碼" in placeholder and "短碼" in placeholder, placeholder
    page.goto("/app/keys#home")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='home']")
    words += page.locator("body").inner_text()
    for wrong in ("二維碼", "編碼", "網絡", "屋苑"):
        assert wrong not in words, wrong
    page.goto("/app")
    card = page.locator("#shell-status [data-empty]")
    card.wait_for()
    assert "之後的更新" not in card.inner_text()
    assert "登入" in card.inner_text()


# ---------------------------------------------------------------- defect 6: no false promise


def _other_estates_code(app) -> str:
    """The active code of a unit in an estate the demo patroller does not patrol."""
    with app.app_context():
        first = sa.select(sa.func.min(Unit.estate_id)).scalar_subquery()
        return db.session.scalar(
            sa.select(LabelCode.code)
            .join(Unit, sa.and_(LabelCode.item_type == "unit", LabelCode.item_id == Unit.id))
            .where(LabelCode.active, Unit.estate_id != first)
            .order_by(LabelCode.id)
            .limit(1)
        )


def test_an_unknown_code_after_a_full_sync_is_told_for_what_it_is(page, context, live_server):
    """Offline after a complete sync, a label of another estate and a code no label has: does
    the phone say it is not a label of the user's estates (no 「同步後就會有」) and offer typing
    the code or searching?"""
    log_in_and_pull(page)
    support.go_offline(context)
    for code in (_other_estates_code(live_server.app), "ZZZZZZZZZZZZZZZZ"):
        page.goto(f"/q/{code}")
        notice = page.locator("#shell-not-on-phone[data-unknown='not-yours']")
        notice.wait_for()
        text = notice.inner_text()
        assert "同步後就會有" not in text and "同步完成後就會有" not in text, text
        assert "不是您負責小區的標籤" in text and "短碼" in text and "地址" in text, text
        page.click("[data-unknown-manual]")
        assert page.evaluate("document.activeElement.id") == "manual-code"
    # A short code typed that no item of the estates has: the same truth, no promise.
    page.goto("/app")
    short = page.evaluate(
        "async () => { const c = await import('/static/build/codes.js');"
        " return 'ABCDEFG' + c.checkCharacter('ABCDEFG'); }"
    )
    page.fill("#manual-code", short)
    page.press("#manual-code", "Enter")
    error = page.locator("#manual-error")
    error.wait_for(state="visible")
    assert "同步" not in error.inner_text() and "您負責的小區沒有短碼" in error.inner_text()


# ---------------------------------------------------------------- defect 7: a damaged label


def _address_facts(app) -> dict:
    """A unit of the first estate with its room, building and floor, a key and a sign."""
    with app.app_context():
        first = sa.select(sa.func.min(Unit.estate_id)).scalar_subquery()
        unit, code = db.session.execute(
            sa.select(Unit, LabelCode)
            .join(
                LabelCode,
                sa.and_(
                    LabelCode.item_type == "unit", LabelCode.item_id == Unit.id, LabelCode.active
                ),
            )
            .where(Unit.estate_id == first)
            .order_by(Unit.id.desc())
            .limit(1)
        ).one()
        sign = db.session.scalars(
            sa.select(Sign).where(Sign.estate_id == first).order_by(Sign.id).limit(1)
        ).one()
        key = db.session.scalars(
            sa.select(Key)
            .where(Key.estate_id == first, Key.key_class == "equipment_room")
            .order_by(Key.id)
            .limit(1)
        ).one()
        return {
            "code": code.code,
            "label": unit.label,
            "room": unit.room,
            "building": unit.building.name,
            "floor": unit.floor,
            "entrance": unit.entrance,
            "sign_label": sign.label,
            "sign_place": sign.location,
            "key_label": key.label,
            "key_name": key.name,
        }


def _suggestions(page) -> list[str]:
    return page.locator("#manual-suggestions .suggestion").all_inner_texts()


def test_a_damaged_label_is_found_by_its_address_offline(page, context, live_server):
    """With no usable code: does typing the room number, building and floor, a sign's place
    or a key's name find the item on the phone, with no network, and does Enter open the one
    item an address names?"""
    facts = _address_facts(live_server.app)
    log_in(page)
    _until(page, READY, timeout_s=45)
    # The one item an address names opens with Enter.
    page.goto("/app")
    page.fill(
        "#manual-code",
        f"{facts['building']} {facts['entrance']}單元 {facts['floor']}樓 {facts['room']}",
    )
    page.press("#manual-code", "Enter")
    page.wait_for_url(f"**/q/{facts['code']}")

    page.goto("/app")
    support.go_offline(context)
    field = page.locator("#manual-code")
    field.fill(facts["room"])
    page.wait_for_function(
        "() => document.querySelectorAll('#manual-suggestions .suggestion').length > 0"
    )
    found = _suggestions(page)
    assert any(facts["label"] in s for s in found), found
    # The room standing whole ranks above rooms that merely contain its digits.
    first = found[0]
    assert f"-{facts['room']}室" in first, found

    field.fill(f"{facts['building']} {facts['floor']}樓 {facts['room']}")
    page.wait_for_function(
        "label => [...document.querySelectorAll('#manual-suggestions .suggestion')]"
        ".some((b) => b.textContent.includes(label))",
        arg=facts["label"],
    )
    field.fill(facts["sign_place"])
    page.wait_for_function(
        "label => [...document.querySelectorAll('#manual-suggestions .suggestion')]"
        ".some((b) => b.textContent.includes(label))",
        arg=facts["sign_label"],
    )
    field.fill(facts["key_name"] or facts["key_label"])
    page.wait_for_function(
        "label => [...document.querySelectorAll('#manual-suggestions .suggestion')]"
        ".some((b) => b.textContent.includes(label))",
        arg=facts["key_label"],
    )
    field.fill("完全不存在的地址")
    page.press("#manual-code", "Enter")
    error = page.locator("#manual-error")
    error.wait_for(state="visible")
    assert "沒有符合" in error.inner_text()


def test_a_worn_key_tag_is_found_by_the_keys_label(page, live_server):
    """On the key screens, a tag too worn to read: does typing words of the key's label offer
    the key, and does picking it put it in the lend list?"""
    key = _key(live_server.app, 0, fresh=False)
    log_in(page, "desk")
    _until(page, READY, timeout_s=45)
    page.goto("/app/keys#lend")
    page.wait_for_selector("#keys-app[data-ready='1'][data-mode='lend']")
    # The label reads like 「1棟-3樓 消防門」: its floor and name, as one would type them.
    building_floor, _, name = key["label"].partition(" ")
    page.fill("[data-keys-manual] input", f"{building_floor.split('-')[-1]} {name}".strip())
    page.locator(f"[data-keys-suggestions] [data-code='{key['code']}']").click()
    page.locator(f"[data-basket='lend'] [data-code='{key['code']}']").wait_for()


def test_another_users_waiting_entry_is_not_taken_back(page, live_server):
    """An entry another user left waiting on this phone (for them to log in): can the user
    now logged in not discard it?"""
    (unit,) = _units(live_server.app, 1, skip=18)
    log_in(page)
    page.goto(f"/q/{unit['code']}")
    page.locator("#record").wait_for()
    page.evaluate(
        """async (code) => {
          const store = await import('/static/build/store.js');
          await store.saveOp({op_id: 'others-op', type: 'check.record',
            occurred_at: new Date().toISOString(), code, item: {label: code, type: 'unit'},
            payload: {id: 'others-check', code, method: 'scan', result: 'ok', answers: {},
                      photos: []},
            username: 'patrol2', created_at: Date.now(), state: 'pending'});
        }""",
        unit["code"],
    )
    page.reload()
    row = page.locator("#phone-history .phone-entry[data-op='others-op']")
    row.locator("[data-take-back]").click()
    row.locator("[data-take-back-confirm]").click()
    row.locator(".take-back-said").wait_for(state="visible")
    assert "另一位使用者" in row.locator(".take-back-said").inner_text()
    entries = page.evaluate(OWN, unit["code"])
    assert [(e["where"], e["state"]) for e in entries] == [("outbox", "pending")]
