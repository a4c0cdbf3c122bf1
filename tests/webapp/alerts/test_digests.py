"""Digests: made once per person and day at the hour they chose in their estate's time, of
their estates only, delivered on the bell and by email (the SMTP server of the suite) with the
PDF and the workbook attached; the weekly report on Saturdays at 09:00."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token_from
from tests.webapp.alerts.conftest import choose, read
from webapp.extensions import db
from webapp.jobs import engine
from webapp.models import Estate, User
from webapp.models.alerts import AlertDelivery, AlertPreference
from webapp.models.digests import AlertDigest
from webapp.models.jobs import AlertEvent
from webapp.models.registry import Key
from webapp.models.review import FindingState
from webapp.models.sync import Finding

TAIPEI = ZoneInfo("Asia/Taipei")


def pdf_text(data: bytes) -> str:
    document = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def pdf_pages(data: bytes) -> int:
    document = pdfium.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


def workbook(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    try:
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book}
    finally:
        book.close()


def local(day: date, hour: int, minute: int = 0, zone: ZoneInfo = TAIPEI) -> datetime:
    return datetime.combine(day, time(hour, minute), zone)


def digests_of(inbox, prefix: str = "每日摘要") -> list:
    return [m for m in inbox.messages if read(m)["Subject"].startswith(prefix)]


def made(app) -> list[tuple]:
    """(username, kind, day) of every digest made."""
    with app.app_context():
        return sorted(
            (username, kind, day.isoformat())
            for username, kind, day in db.session.execute(
                sa.select(User.username, AlertDigest.kind, AlertDigest.day).join(
                    User, User.id == AlertDigest.user_id
                )
            )
        )


def names(app) -> list[str]:
    """The two estates' names, first and second."""
    with app.app_context():
        return list(db.session.scalars(sa.select(Estate.name).order_by(Estate.id)))


def estates_in(app, username: str) -> list[list[int]]:
    """The estates each of a person's digests holds numbers of."""
    with app.app_context():
        return [
            [estate["id"] for estate in digest.data["estates"]]
            for digest in db.session.scalars(
                sa.select(AlertDigest)
                .join(User, User.id == AlertDigest.user_id)
                .where(User.username == username)
                .order_by(AlertDigest.id)
            )
        ]


@pytest.fixture
def today(clock) -> date:
    """A local date near the demo's (its data is drawn around the wall clock)."""
    return clock.now.astimezone(TAIPEI).date()


def run_at(app, clock, jobs, at: datetime) -> None:
    """The engine's minute at ``at``: the schedules' slots, then every job due."""
    clock.set(at)
    engine.get(app).tick()
    jobs()


def test_the_daily_digest_comes_once_at_the_chosen_hour_in_the_estates_time(
    app, clock, jobs, people, inbox, today
):
    """Daily digest on at 08:00: nothing at 07:55 Taipei time; at 08:00 one digest, on the bell
    and by email (HTML and text, the PDF and workbook attached); later runs the same day, a
    second engine and the next morning's 07:59 add none; the next day's 08:00 its own."""
    choose(app, people["supervisor"], digest_daily=True, digest_hour=8)
    run_at(app, clock, jobs, local(today, 7, 55))
    assert made(app) == [] and digests_of(inbox) == []

    run_at(app, clock, jobs, local(today, 8, 0))
    assert made(app) == [("supervisor", "daily", today.isoformat())]
    [mail] = digests_of(inbox)
    assert mail.rcpt_tos == ["supervisor@example.test"]
    message = read(mail)
    yesterday = (today - timedelta(days=1)).isoformat()
    assert message["Subject"] == f"每日摘要：{yesterday}"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    estate_name = names(app)[0]
    assert estate_name in text and estate_name in html
    assert "巡查覆蓋" in html and "逾期報事" in html
    files = {part.get_filename(): part for part in message.iter_attachments()}
    assert sorted(files) == [f"daily-digest-{today}.pdf", f"daily-digest-{today}.xlsx"]
    pdf = files[f"daily-digest-{today}.pdf"].get_content()
    assert estate_name in pdf_text(pdf) and 1 <= pdf_pages(pdf) <= 2
    sheets = workbook(files[f"daily-digest-{today}.xlsx"].get_content())
    assert any(row and row[0] == estate_name for rows in sheets.values() for row in rows)

    for minute in (5, 10, 30):
        run_at(app, clock, jobs, local(today, 8, minute))
    second = engine.Engine(app, clock=clock)
    try:
        second.tick()
        second.work()
    finally:
        second.close()
    run_at(app, clock, jobs, local(today + timedelta(days=1), 7, 59))
    assert len(digests_of(inbox)) == 1
    assert made(app) == [("supervisor", "daily", today.isoformat())]
    with app.app_context():
        bell = db.session.scalars(
            sa.select(AlertDelivery.state)
            .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
            .where(AlertEvent.kind == "digest_daily", AlertDelivery.channel == "bell")
        ).all()
        assert bell == ["sent"]

    run_at(app, clock, jobs, local(today + timedelta(days=1), 8, 0))
    assert len(digests_of(inbox)) == 2
    assert [d[2] for d in made(app)] == [today.isoformat(), (today + timedelta(days=1)).isoformat()]


def attachments(envelope) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in read(envelope).iter_attachments()}


def all_text(envelope) -> str:
    """A digest email's text, HTML, PDF text and workbook cells, as one string."""
    message = read(envelope)
    parts = [message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()]
    for name, data in attachments(envelope).items():
        if name.endswith(".pdf"):
            parts.append(pdf_text(data))
        else:
            cells = (c for rows in workbook(data).values() for row in rows for c in row if c)
            parts.append(" ".join(str(c) for c in cells))
    return "\n".join(parts)


def test_each_supervisor_reads_only_their_estates_and_a_regional_one_gets_one_digest(
    app, clock, jobs, people, inbox, seed, today
):
    """supervisor sees estate 1, supervisor2 estate 2, regional both, hq every estate: is
    supervisor's digest of estate 1 alone (not a word of estate 2 in its mail, PDF or
    workbook), supervisor2's of estate 2 alone, and the regional and hq supervisors' one digest
    each with a section per estate?"""
    first, second = names(app)
    with app.app_context():
        regional = User(username="area", role="supervisor", display_name="區域主管")
        regional.set_password("area-demo")
        regional.estates = [db.session.get(Estate, e) for e in seed.estate_ids]
        everywhere = User(username="allover", role="supervisor", display_name="總部主管",
                          all_estates=True)  # fmt: skip
        everywhere.set_password("allover-demo")
        db.session.add_all([regional, everywhere])
        db.session.flush()
        for user in (regional, everywhere):
            people[user.username] = user.id
            db.session.add(AlertPreference(user_id=user.id, choices={},
                                           email=f"{user.username}@example.test"))  # fmt: skip
        db.session.commit()
    for name in ("supervisor", "supervisor2", "area", "allover"):
        choose(app, people[name], digest_daily=True, digest_hour=7)
    run_at(app, clock, jobs, local(today, 7, 0))

    assert estates_in(app, "supervisor") == [[seed.estate_ids[0]]]
    assert estates_in(app, "supervisor2") == [[seed.estate_ids[1]]]
    assert estates_in(app, "area") == [seed.estate_ids]
    assert estates_in(app, "allover") == [seed.estate_ids]  # sees every estate, appointed to none
    [mine] = inbox.to("supervisor@example.test")
    [theirs] = inbox.to("supervisor2@example.test")
    [both] = inbox.to("area@example.test")
    assert first in all_text(mine) and second not in all_text(mine)
    assert second in all_text(theirs) and first not in all_text(theirs)
    html = read(both).get_body(("html",)).get_content()
    assert html.index(first) < html.index(second)
    assert len(digests_of(inbox)) == 4


def test_the_hour_is_read_in_the_estates_time_zone(app, clock, jobs, people, inbox, seed, today):
    """Estate 2 moved to New York, its supervisor's hour 20:00: nothing at 20:00 in Taipei
    (07:00 in New York) nor at 19:55 in New York; at 20:00 there, New York's date's digest."""
    with app.app_context():
        db.session.get(Estate, seed.estate_ids[1]).timezone = "America/New_York"
        db.session.commit()
    york = ZoneInfo("America/New_York")
    choose(app, people["supervisor2"], digest_daily=True, digest_hour=20)
    run_at(app, clock, jobs, local(today, 20, 0))
    run_at(app, clock, jobs, local(today, 19, 55, york))
    assert estates_in(app, "supervisor2") == []
    run_at(app, clock, jobs, local(today, 20, 0, york))
    assert made(app) == [("supervisor2", "daily", today.isoformat())]
    assert len(inbox.to("supervisor2@example.test")) == 1


def test_off_when_off(app, clock, jobs, people, inbox, today):
    """Nobody asked: no digest all day. Turned off after it was made but while quiet hours
    hold its email: the email is skipped (the bell keeps what was made)."""
    for hour in (0, 8, 12, 23):
        run_at(app, clock, jobs, local(today, hour, 30))
    assert made(app) == [] and digests_of(inbox) == []

    choose(app, people["supervisor"], digest_daily=True, digest_hour=6,
           quiet_start="00:00", quiet_end="07:00")  # fmt: skip
    tomorrow = today + timedelta(days=1)
    run_at(app, clock, jobs, local(tomorrow, 6, 0))
    assert made(app) == [("supervisor", "daily", tomorrow.isoformat())]
    choose(app, people["supervisor"], digest_daily=False)
    run_at(app, clock, jobs, local(tomorrow, 7, 0))
    assert digests_of(inbox) == []
    with app.app_context():
        states = db.session.execute(
            sa.select(AlertDelivery.channel, AlertDelivery.state, AlertDelivery.message)
            .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
            .where(AlertEvent.kind == "digest_daily")
            .order_by(AlertDelivery.channel)
        ).all()
    assert [tuple(s) for s in states] == [("bell", "sent", ""), ("email", "skipped", "turned off")]


def test_a_patroller_or_the_desk_asking_gets_nothing(app, clock, jobs, people, inbox, today):
    """Digests are the supervisors': a row saying otherwise for the desk makes none."""
    choose(app, people["desk"], digest_daily=True, digest_hour=0, digest_weekly=True)
    run_at(app, clock, jobs, local(today, 12, 0))
    assert made(app) == []


def _overdue(app, estate_id: int, now: datetime) -> tuple[str, str]:
    """A finding and a key of the estate made overdue; the key's label."""
    with app.app_context():
        finding = db.session.scalar(
            sa.select(Finding)
            .where(Finding.estate_id == estate_id, Finding.status == "open")
            .order_by(Finding.id)
        )
        state = db.session.get(FindingState, finding.id) or FindingState(
            finding_id=finding.id, estate_id=estate_id
        )
        state.status, state.due_at = "open", now - timedelta(days=3)
        db.session.add(state)
        key = db.session.scalar(
            sa.select(Key).where(Key.estate_id == estate_id, Key.active).order_by(Key.id)
        )
        key.status, key.holder_name, key.due_back = "out", "陳師傅", now - timedelta(hours=5)
        db.session.commit()
        return finding.id, key.label


def test_the_digest_names_the_oldest_overdue_finding_and_key_with_its_holder(
    app, clock, jobs, people, inbox, seed, client, auth, today
):
    """A finding three days overdue and a key five hours past its due back: listed with links
    (the finding's page), the holder named, counted; the page shows the same and its files
    download; another supervisor gets 404 for it."""
    at = local(today, 9, 0)
    finding_id, key_label = _overdue(app, seed.estate_ids[0], at)
    choose(app, people["supervisor"], digest_daily=True, digest_hour=9)
    run_at(app, clock, jobs, at)
    [mail] = digests_of(inbox)
    html = read(mail).get_body(("html",)).get_content()
    assert f"/review/findings/{finding_id}" in html
    assert key_label in html and "陳師傅" in html
    assert key_label in pdf_text(attachments(mail)[f"daily-digest-{today}.pdf"])

    with app.app_context():
        digest_id = db.session.scalar(sa.select(AlertDigest.id))
    auth.login("supervisor")
    page = client.get(f"/alerts/digests/{digest_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert key_label in body and "陳師傅" in body and f"/review/findings/{finding_id}" in body
    pdf = client.get(f"/alerts/digests/{digest_id}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert key_label in pdf_text(pdf.data)
    sheet = client.get(f"/alerts/digests/{digest_id}/xlsx")
    assert sheet.status_code == 200
    cells = [c for rows in workbook(sheet.data).values() for row in rows for c in row]
    assert "陳師傅" in cells
    auth.logout()

    auth.login("supervisor2", "supervisor2-demo")
    for path in ("", "/pdf", "/xlsx"):
        assert client.get(f"/alerts/digests/{digest_id}{path}").status_code == 404
    assert client.get(f"/alerts/digests/{2**31}").status_code == 404


def test_an_english_reader_reads_the_overdue_findings_category_in_english(
    app, clock, jobs, people, inbox, seed, client, auth, today
):
    """Does the digest name an overdue finding's category in the reader's language — its
    page, its email and its workbook in English for an English reader? They showed the stored
    Chinese name (蟲害)."""
    at = local(today, 9, 0)
    finding_id, _label = _overdue(app, seed.estate_ids[0], at)
    with app.app_context():
        db.session.get(Finding, finding_id).category = "蟲害"
        db.session.get(User, people["supervisor"]).locale = "en"
        db.session.commit()
    choose(app, people["supervisor"], digest_daily=True, digest_hour=9)
    run_at(app, clock, jobs, at)
    [mail] = digests_of(inbox, "Daily digest")
    html = read(mail).get_body(("html",)).get_content()
    assert "Pests" in html and "蟲害" not in html
    with app.app_context():
        digest_id = db.session.scalar(sa.select(AlertDigest.id))
    auth.login("supervisor")
    page = client.get(f"/alerts/digests/{digest_id}").get_data(as_text=True)
    assert "Pests" in page and "蟲害" not in page
    sheet = client.get(f"/alerts/digests/{digest_id}/xlsx")
    cells = [c for rows in workbook(sheet.data).values() for row in rows for c in row]
    assert "Pests" in cells and "蟲害" not in cells


def test_the_bell_lists_the_digest_and_opens_its_page_in_the_readers_language(
    app, clock, jobs, people, client, auth, today
):
    """The bell lists the digest (unread); opening it marks it read and goes to its page; an
    English reader reads the page, the bell and the email in English."""
    choose(app, people["supervisor"], digest_daily=True, digest_hour=8)
    with app.app_context():
        db.session.get(User, people["supervisor"]).locale = "en"
        db.session.commit()
    run_at(app, clock, jobs, local(today, 8, 0))
    auth.login("supervisor")
    listing = client.get("/alerts").get_data(as_text=True)
    yesterday = (today - timedelta(days=1)).isoformat()
    assert f"Daily digest: {yesterday}" in listing
    with app.app_context():
        delivery = db.session.scalar(
            sa.select(AlertDelivery).where(
                AlertDelivery.user_id == people["supervisor"], AlertDelivery.channel == "bell"
            ).join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
            .where(AlertEvent.kind == "digest_daily")
        )  # fmt: skip
        digest_id = db.session.scalar(sa.select(AlertDigest.id))
    opened = client.post(
        "/alerts/open", data={"delivery": delivery.id, "csrf_token": auth.csrf("/alerts")}
    )
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/alerts/digests/{digest_id}"
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Round coverage" in page and "Open findings" in page


def test_the_weekly_report_comes_on_saturday_at_nine_with_the_weeks_numbers(
    app, clock, jobs, people, inbox, today
):
    """Weekly on: nothing on Friday or at 08:59 on Saturday; at 09:00 one report of the
    seven days before (a line per day), with the sections other areas registered."""
    saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    choose(app, people["supervisor"], digest_weekly=True)
    run_at(app, clock, jobs, local(saturday - timedelta(days=1), 12, 0))
    run_at(app, clock, jobs, local(saturday, 8, 59))
    assert made(app) == []
    run_at(app, clock, jobs, local(saturday, 9, 0))
    run_at(app, clock, jobs, local(saturday, 9, 5))
    assert made(app) == [("supervisor", "weekly", saturday.isoformat())]
    [mail] = digests_of(inbox, "每週報告")
    week = f"{saturday - timedelta(days=7)} – {saturday - timedelta(days=1)}"
    assert read(mail)["Subject"] == f"每週報告：{week}"
    sheets = workbook(attachments(mail)[f"weekly-report-{saturday}.xlsx"])
    [days] = [rows for title, rows in sheets.items() if title.startswith("每日巡查覆蓋")]
    assert [row[1] for row in days[1:]] == [
        (saturday - timedelta(days=n)).isoformat() for n in range(7, 0, -1)
    ]
    assert any(title.startswith("本週報事") for title in sheets)


def test_the_digest_choices_are_saved_and_a_bad_hour_refused(app, client, auth, people, seed):
    """A supervisor's alert page has the digests (daily off at 08:00, weekly off by default);
    ticking both at 18:00 saves them; an hour that is not one of the day's is 422 with the
    reason and nothing saved. The desk's page has no digests, and its save changes none."""
    auth.login("supervisor")
    page = client.get("/account/alerts").get_data(as_text=True)
    assert 'id="digest-choices"' in page and "每日摘要" in page
    assert '<option value="8" selected>08:00</option>' in page
    token = csrf_token_from(page)
    good = {"csrf_token": token, "unsynced_hours": "4", "digest_daily": "1",
            "digest_hour": "18", "digest_weekly": "1"}  # fmt: skip
    assert client.post("/account/alerts", data=good).status_code == 303
    with app.app_context():
        row = db.session.get(AlertPreference, people["supervisor"])
        assert (row.digest_daily, row.digest_hour, row.digest_weekly) == (True, 18, True)
    for hour in ("24", "-1", "eight", ""):
        response = client.post("/account/alerts", data={**good, "digest_hour": hour})
        assert response.status_code == 422, hour
        assert "field-error" in response.get_data(as_text=True), hour
    with app.app_context():
        assert db.session.get(AlertPreference, people["supervisor"]).digest_hour == 18
    unticked = {k: v for k, v in good.items() if k not in ("digest_daily", "digest_weekly")}
    assert client.post("/account/alerts", data=unticked).status_code == 303
    with app.app_context():
        row = db.session.get(AlertPreference, people["supervisor"])
        assert (row.digest_daily, row.digest_weekly) == (False, False)
    auth.logout()

    choose(app, people["desk"], digest_daily=False)
    auth.login("desk")
    page = client.get("/account/alerts").get_data(as_text=True)
    assert 'id="digest-choices"' not in page
    sent = {"csrf_token": csrf_token_from(page), "unsynced_hours": "4", "digest_daily": "1"}
    assert client.post("/account/alerts", data=sent).status_code == 303
    with app.app_context():
        assert db.session.get(AlertPreference, people["desk"]).digest_daily is False


def test_another_area_adds_a_section_to_the_weekly_report(app, clock, jobs, people, inbox, today):
    """A section registered for the weekly report (as renovation's Saturday statistics will
    be) is read per estate when the report is made and drawn in its page, email and files."""
    from webapp import digest_registry
    from webapp.digest_registry import Table, section

    @section("weekly", name="plugged")
    class Plugged:
        @staticmethod
        def build(session, user, estate, period):
            return {"units": 3, "days": len(period.days)}

        @staticmethod
        def tables(numbers):
            return [Table("plugged", "Plugged-in statistics", ["Units", "Days"],
                          [[numbers["units"], numbers["days"]]])]  # fmt: skip

    try:
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        choose(app, people["supervisor"], digest_weekly=True)
        run_at(app, clock, jobs, local(saturday, 9, 0))
    finally:
        digest_registry.WEEKLY.pop("plugged")
    [mail] = digests_of(inbox, "每週報告")
    assert "Plugged-in statistics" in read(mail).get_body(("html",)).get_content()
    assert "Plugged-in statistics" in pdf_text(attachments(mail)[f"weekly-report-{saturday}.pdf"])
    with app.app_context():
        data = db.session.scalar(sa.select(AlertDigest.data))
    assert data["estates"][0]["sections"]["plugged"] == {"units": 3, "days": 7}


def test_an_old_digest_no_longer_shows_an_estate_its_reader_left(
    app, clock, jobs, people, seed, client, auth, today
):
    """A digest of both estates; its supervisor is then taken off the second: its page, PDF
    and workbook show the first estate only (the stored files are drawn again without it)."""
    first, second = names(app)
    with app.app_context():
        user = db.session.get(User, people["supervisor"])
        user.estates = [db.session.get(Estate, e) for e in seed.estate_ids]
        db.session.commit()
    choose(app, people["supervisor"], digest_daily=True, digest_hour=8)
    run_at(app, clock, jobs, local(today, 8, 0))
    with app.app_context():
        digest_id = db.session.scalar(sa.select(AlertDigest.id))
    auth.login("supervisor")
    assert second in client.get(f"/alerts/digests/{digest_id}").get_data(as_text=True)
    assert second in pdf_text(client.get(f"/alerts/digests/{digest_id}/pdf").data)
    with app.app_context():
        user = db.session.get(User, people["supervisor"])
        user.estates = [db.session.get(Estate, seed.estate_ids[0])]
        db.session.commit()
    page = client.get(f"/alerts/digests/{digest_id}").get_data(as_text=True)
    assert first in page and second not in page
    assert second not in pdf_text(client.get(f"/alerts/digests/{digest_id}/pdf").data)
    cells = workbook(client.get(f"/alerts/digests/{digest_id}/xlsx").data)
    assert second not in " ".join(str(c) for rows in cells.values() for r in rows for c in r)
