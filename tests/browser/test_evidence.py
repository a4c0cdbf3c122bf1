"""Issue #18's proof, end to end in real Chromium: a renovation check made on a phone with no
network — the checklist answered, a photo taken, the unit picked by hand because its label is
damaged — synced, then opened by a supervisor from the coverage grid. The record page shows
all of it, and the printed 《裝修巡檢表》 (rendered to an image, as a person would see it) holds
the answers."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
from PIL import Image

from tests.browser import support
from tests.browser.support import OUTBOX, SENT, add_patroller, add_round
from tests.browser.support import until as _until
from webapp.extensions import db
from webapp.labels.codes import ensure_codes
from webapp.models import Unit, User, utcnow
from webapp.models.sync import Check

pytestmark = pytest.mark.browser

PASSWORD = "evidence-rounds-1"
NOTE = "東牆有新打鑿痕跡，已要求停工"


def _red_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (220, 20, 30)).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def renovating_estate(live_server):
    """An estate where it is about noon: one building, two units under renovation, a
    renovation round open all day, a patroller and a supervisor of that estate only."""
    with live_server.app.app_context():
        tz = support.noon_zone(utcnow())
        estate, building = support.add_estate("證據測試苑", tz, "C棟", floors=3)
        units = [
            Unit(
                estate_id=estate.id,
                building_id=building.id,
                entrance="1",
                floor=f,
                room=f"{f}01",
                status="renovating",
            )
            for f in (2, 3)
        ]
        db.session.add_all(units)
        db.session.flush()
        ensure_codes(db.session, "unit", units)
        today = utcnow().astimezone(ZoneInfo(tz)).date()
        template = add_round(
            estate,
            kind="renovation",
            name="裝修巡檢",
            slots=[{"start": "00:00", "end": "00:00", "days": 1}],
            anchor=today - timedelta(days=1),
        )
        tag = uuid.uuid4().hex[:6]
        add_patroller(estate, f"ev-patrol-{tag}", PASSWORD, "證據 巡查")
        boss = User(username=f"ev-boss-{tag}", display_name="證據 主管", role="supervisor")
        boss.set_password(PASSWORD)
        boss.estates.append(estate)
        db.session.add(boss)
        facts = {
            "estate": estate.id,
            "round": template.id,
            "unit": units[0].id,
            "label": units[0].label,
            "day": today,
            "patrol": f"ev-patrol-{tag}",
            "boss": f"ev-boss-{tag}",
        }
        db.session.commit()
    return facts


def _log_in(page, username: str) -> None:
    support.log_in(page, username, PASSWORD)


def test_an_offline_renovation_check_becomes_evidence(
    page, context, browser, live_server, renovating_estate, tmp_path
):
    """Offline on the phone: the first unit picked by hand (label damaged), 否 to 未破壞承重牆,
    3 workers, a site photo, a note. After sync, does the supervisor's coverage cell open the
    record page showing the answers, the photo, the reason and the note; and does the printed
    《裝修巡檢表》 of the unit hold the answers and the photo?"""
    facts = renovating_estate
    shots = support.screenshot_dir()

    # The phone: online once (service worker, login, first pull), then no network at all.
    support.log_in_then_go_offline(page, context, facts["patrol"], PASSWORD)
    page.goto("/app/rounds")
    page.wait_for_selector("html[data-rounds-ready]")
    page.click(f".rp-round-card[data-round='{facts['round']}'] a")
    page.locator("#rp-round").wait_for(state="visible")

    page.click(".rp-pick")  # 不掃描直接檢查: the label is damaged
    page.locator("#rp-check").wait_for(state="visible")
    assert page.locator("[data-method]").get_attribute("data-method") == "manual"
    page.locator("#rp-check [data-reason-picker] .reason-tile[data-value=label_damaged]").click()
    page.click(".rp-allgood")  # 一切正常, then the one thing that is not
    page.click(".rp-q[data-key=load_bearing] .rp-opt[data-value=no]")
    page.fill(".rp-q[data-key=workers] input", "3")
    photo = tmp_path / "site.jpg"
    photo.write_bytes(_red_jpeg())
    page.set_input_files("[data-rp-photo=photo]", str(photo))
    page.wait_for_selector(".rp-q[data-key=photo][data-photos='1']")
    page.fill("#rp-note", NOTE)
    page.click(".rp-save")
    page.wait_for_function("() => !location.hash.includes('/c/')")
    (check,) = [e for e in page.evaluate(OUTBOX) if e["type"] == "check.record"]
    assert check["payload"]["manual_reason"] == "label_damaged"
    assert check["payload"]["answers"]["load_bearing"] == "no"

    # The network comes back: everything goes up, the photo too.
    context.unroute("**/*")
    context.set_offline(False)
    page.goto("/app/rounds")
    _until(page, SENT, timeout_s=60)
    with live_server.app.app_context():
        stored = db.session.get(Check, check["payload"]["id"])
        assert stored is not None and stored.manual_reason == "label_damaged"

    # The office: a supervisor at a desk opens the unit's cell on the coverage grid.
    desk = browser.new_context(
        base_url=live_server.url, viewport={"width": 1440, "height": 900}, locale="zh-TW"
    )
    desk.set_default_timeout(20_000)
    office = desk.new_page()
    problems = support.watch(office)
    _log_in(office, facts["boss"])
    office.goto(f"/rounds/coverage?estate={facts['estate']}&date={facts['day'].isoformat()}")
    cell = office.locator(
        f"a[href*='/records/cell'][href*='item=unit%3A{facts['unit']}'], "
        f"a[href*='/records/cell'][href*='item=unit:{facts['unit']}']"
    ).first
    if shots:
        office.screenshot(path=str(shots / "evidence-coverage-1440.png"), full_page=True)
    cell.click()
    office.wait_for_url(f"**/records/checks/{check['payload']['id']}")
    record = office.locator("main").inner_text()
    assert facts["label"] in record
    assert "未破壞承重牆" in record and "否" in record
    assert office.locator("tr", has_text="現場工人數").locator("td").inner_text().strip() == "3"
    assert "否" in office.locator("tr", has_text="未破壞承重牆").locator("td").inner_text()
    assert "標籤損壞" in record and "手動選取" in record
    assert NOTE in record
    assert office.locator("tr.row-bad").count() == 1
    (sha,) = check["payload"]["photos"]
    img = office.locator(f".photo-row img[src*='{sha}']").first
    img.wait_for(state="visible")
    assert office.evaluate("(el) => el.naturalWidth > 0", img.element_handle())
    if shots:
        office.screenshot(path=str(shots / "evidence-record-1440.png"), full_page=True)

    # The printed form of the unit, for the day.
    day = facts["day"].isoformat()
    response = office.request.get(
        f"/forms/renovation.pdf?estate={facts['estate']}&unit={facts['unit']}&start={day}&end={day}"
    )
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    document = pdfium.PdfDocument(response.body())
    try:
        text = "\n".join(p.get_textpage().get_text_range() for p in document)
        image = document[0].render(scale=1.5).to_pil().convert("RGB")
    finally:
        document.close()
    assert "《裝修巡檢表》" in text and facts["label"] in text
    assert "未破壞承重牆" in text and "否" in text
    assert NOTE in text.replace("\r\n", "").replace("\n", "")  # wrapped in its cell
    assert "手動選取（標籤損壞）" in text.replace("\r\n", "").replace("\n", "")
    if shots:
        image.save(shots / "evidence-renovation-form.png")
    # The page image holds the answers' ink and the red of the photo.
    pixels = image.get_flattened_data()
    red = sum(1 for r, g, b in pixels if r > 180 and g < 70 and b < 70)
    dark = sum(1 for r, g, b in pixels if r < 90 and g < 90 and b < 90)
    assert red > 500 and dark > 2000, (red, dark)
    desk.close()
    assert problems == []
