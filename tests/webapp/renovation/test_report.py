"""The Saturday report (issue 20 item 5): each block's counts against seeded records of one past
week (2025-W10: Saturday 1 March to Friday 7 March 2025, Asia/Taipei), with records just
outside its bounds on the estate's calendar; the pages, the PDF and the workbook; scoping."""

from __future__ import annotations

import io
import os
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.webapp.paper.test_forms import pdf_text
from tests.webapp.renovation.conftest import add_permit, units_of
from webapp.extensions import db
from webapp.models import Estate
from webapp.models.renovation import Acceptance, DepositEntry, RectificationNotice, StopWork
from webapp.models.rounds import RoundTemplate, RoundWindow
from webapp.models.sync import Check, Finding
from webapp.renovation import permits, report
from webapp.renovation.report import Week

WEEK = Week.parse("2025-W10")
TAIPEI = ZoneInfo("Asia/Taipei")
# The week opens Saturday 1 March 00:00 in Taipei: Friday 28 February 16:00 UTC.
OPENS = datetime(2025, 2, 28, 16, 0, tzinfo=UTC)
CLOSES = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
OK = {"load_bearing": "yes", "facade": "yes", "waterproof": "yes", "permit": "yes", "debris": "yes"}


_USER = [0]  # the patroller who made the records (the fixture sets it)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of March 2025 on the Taipei calendar, in UTC."""
    return datetime(2025, 3, day, hour, minute, tzinfo=TAIPEI).astimezone(UTC)


def _observed(estate_id: int, at: datetime, **more) -> dict:
    skewed = more.pop("skewed", None)
    return {
        "id": str(uuid.uuid4()),
        "op_id": str(uuid.uuid4()),
        "estate_id": estate_id,
        "user_id": _USER[0],
        "occurred_at": at,
        "received_at": skewed or at + timedelta(minutes=5),
        "clock_skewed": skewed is not None,
        **more,
    }


def check(estate_id, round_id, unit_id, at, answers=None, **more):
    row = _observed(
        estate_id,
        at,
        item_type="unit",
        item_id=unit_id,
        code="",
        method="scan",
        result="ok",
        answers={**OK, **(answers or {})},
        round_id=str(round_id),
        **more,
    )
    db.session.add(Check(**row))


def finding(estate_id, at, category, status="open", **more):
    db.session.add(
        Finding(
            **_observed(estate_id, at, **more), severity="medium", category=category, status=status
        )
    )


_SEQ = iter(range(100, 10_000))


def notice(estate_id, unit, at, rules, deadline, status="issued", **more):
    made = RectificationNotice(
        **_observed(estate_id, at, **more),
        unit_id=unit.id,
        year=2025,
        seq=next(_SEQ),
        rules=rules,
        deadline=deadline,
        status=status,
    )
    db.session.add(made)
    return made


@pytest.fixture
def week_of_records(app, seed):
    """Estate 1's week 2025-W10: two renovating units patrolled, violations, notices,
    deposits, acceptances, overrun permits and reported items, each with a record just outside
    the week; estate 2 gets records of the same week that must never show in estate 1's."""
    with app.app_context():
        one, two = seed.estate_ids
        _USER[:] = [seed.user_ids["patrol"]]
        template = db.session.scalar(
            sa.select(RoundTemplate).where(
                RoundTemplate.estate_id == one, RoundTemplate.kind == "renovation"
            )
        )
        u1, u2, u3, u4, u5, u6 = units_of(one, "occupied")[:6]
        # The windows as they opened that week: 08:00-18:00 daily, the two units renovating.
        for day in WEEK.days:
            start = datetime.combine(day, datetime.min.time(), TAIPEI).replace(hour=8)
            db.session.add(
                RoundWindow(
                    template_id=template.id,
                    estate_id=one,
                    start=start.astimezone(UTC),
                    end=(start + timedelta(hours=10)).astimezone(UTC),
                    checkpoints=[["unit", u1.id], ["unit", u2.id]],
                )
            )
        for n, day in enumerate(WEEK.days):  # u1 every day in the window
            answers = {"load_bearing": "no", "debris": "no"} if n == 2 else None
            check(one, template.id, u1.id, local(day.day, 10), answers)
        for d in (1, 2, 3):  # u2: three days in the window, one late, three missed
            check(one, template.id, u2.id, local(d, 11))
        check(one, template.id, u2.id, local(4, 20), {"facade": "no"})  # late (after 18:00)
        # Just before the week (Friday 23:59 in Taipei): a violation that is not this week's.
        check(one, template.id, u2.id, OPENS - timedelta(minutes=1), {"waterproof": "no"})
        # The other estate's violation in the same week, on its own round.
        theirs = db.session.scalar(
            sa.select(RoundTemplate.id).where(
                RoundTemplate.estate_id == two, RoundTemplate.kind == "renovation"
            )
        )
        check(two, theirs, units_of(two, "occupied")[0].id, local(3, 10), {"load_bearing": "no"})

        n1 = notice(one, u1, local(2, 10), ["load_bearing", "hours"], date(2025, 3, 5))
        n1.delivered_at = local(2, 11)
        notice(one, u2, local(6, 10), ["permit"], date(2025, 3, 20), status="delivered",
               delivered_at=local(1, 9) - timedelta(days=10))  # fmt: skip
        notice(one, u1, CLOSES, ["facade"], date(2025, 3, 6))  # made after the week
        notice(two, units_of(two, "occupied")[0], local(3, 10), ["facade"], date(2025, 3, 4))

        finding(one, local(1, 0), "漏水")  # the week's first minute
        finding(one, local(5, 9), "漏水", status="closed")
        finding(one, local(3, 9), "裝修違規")
        finding(one, local(1, 9) - timedelta(days=3), "門窗損壞", skewed=local(4, 9))
        finding(one, local(4, 9), "照明故障", skewed=CLOSES + timedelta(hours=1))
        finding(one, CLOSES, "漏水")  # Saturday 8 March 00:00: next week's
        finding(one, OPENS - timedelta(seconds=1), "漏水")  # Friday before
        finding(two, local(3, 9), "漏水")

        estate = db.session.get(Estate, one)
        deposit = add_permit(one, u3, "R-1", date(2025, 1, 1), ends_on=date(2025, 3, 5))
        for kind, amount, on in (
            ("received", 5000, date(2025, 2, 20)),
            ("deducted", 500, date(2025, 3, 1)),
            ("refunded", 1000, date(2025, 3, 7)),
            ("received", 3000, date(2025, 3, 8)),
        ):
            db.session.add(
                DepositEntry(permit=deposit, estate_id=one, kind=kind, amount=amount, on=on)
            )
        permits.close(db.session, deposit, "ended", date(2025, 3, 20), None)  # overrun 3 days
        accepted = add_permit(one, u4, "R-2", date(2025, 1, 1), ends_on=date(2025, 4, 1))
        permits.close(db.session, accepted, "accepted", date(2025, 3, 1), None)
        before = add_permit(one, u5, "R-3", date(2025, 1, 1), ends_on=date(2025, 2, 27))
        permits.close(db.session, before, "accepted", date(2025, 2, 28), None)
        last_day = add_permit(one, u6, "R-4", date(2025, 1, 1), ends_on=date(2025, 3, 7))
        permits.close(db.session, last_day, "ended", date(2025, 3, 7), None)  # closed in time
        db.session.commit()
        assert estate.timezone == "Asia/Taipei"
        return one, two


def _report(app, estate_id: int, week: Week = WEEK) -> dict:
    with app.app_context():
        estate = db.session.get(Estate, estate_id)
        [found] = report.report(db.session, [estate], week, datetime.now(UTC))
        return found


def test_the_week_is_saturday_to_friday_named_by_its_saturday():
    """Is 2025-W10 Saturday 1 to Friday 7 March, due Saturday 8 March; is the report due on a
    Saturday that week's and on a Friday the week before's?"""
    assert (WEEK.first, WEEK.last, WEEK.due) == (date(2025, 3, 1), date(2025, 3, 7),
                                                 date(2025, 3, 8))  # fmt: skip
    assert Week.due_by(date(2025, 3, 8)) == WEEK == Week.due_by(date(2025, 3, 14))
    assert Week.due_by(date(2025, 3, 7)).label == "2025-W09"
    assert WEEK.following().label == "2025-W11" and WEEK.previous().label == "2025-W09"
    for bad in ("2025-10", "2025-W54", "2021-W53", "1999-W10", "", "W10"):
        with pytest.raises(ValueError):
            Week.parse(bad)
    assert Week.parse("2020-w53").due == date(2021, 1, 2)


def test_patrols_due_and_done_come_from_the_windows(app, week_of_records):
    """Are the renovation patrol's due, done, late and missed the windows' (two units a day)?"""
    patrols = _report(app, week_of_records[0])["patrols"]
    assert patrols["due"] == 14
    assert (patrols["done"], patrols["late"], patrols["missed"]) == (10, 1, 3)
    assert patrols["no_access"] == patrols["pending"] == 0
    assert [d["due"] for d in patrols["days"]] == [2] * 7
    assert patrols["days"][3] == {"date": "2025-03-04", "due": 2, "done": 1, "late": 1,
                                  "missed": 0, "no_access": 0, "pending": 0}  # fmt: skip


def test_violations_by_rule_the_major_ones_apart(app, week_of_records):
    """Are failed items counted by rule (this week's checks only, in the estate's time), the
    notices' rules beside them, the major three totalled, and 裝修違規 findings counted?"""
    v = _report(app, week_of_records[0])["violations"]
    by_rule = {r["rule"]: (r["failed"], r["noticed"]) for r in v["rules"]}
    assert by_rule["load_bearing"] == (1, 1)
    assert by_rule["facade"] == (1, 0)  # the late check's; the notice after the week is not
    assert by_rule["waterproof"] == (0, 0)  # a minute before the week opened
    assert by_rule["debris"] == (1, 0) and by_rule["permit"] == (0, 1)
    assert by_rule["hours"] == (0, 1)
    assert [r["rule"] for r in v["rules"][:3]] == ["load_bearing", "facade", "waterproof"]
    assert all(r["major"] for r in v["rules"][:3]) and not v["rules"][3]["major"]
    assert (v["major_failed"], v["major_noticed"], v["failed"]) == (2, 1, 3)
    assert v["findings"] == 1


def test_notices_issued_delivered_overdue(app, week_of_records):
    """Issued and delivered in the week, overdue at its end; the open ones listed by deadline
    with the status they show on the Saturday (none was rectified in this week)."""
    found = _report(app, week_of_records[0])
    assert found["notices"] == {"issued": 2, "delivered": 1, "rectified": 0, "overdue": 1}
    listed = found["open_notices"]
    assert listed["total"] == 2
    assert [(r["deadline"], r["status"]) for r in listed["rows"]] == [
        ("2025-03-05", "overdue"),
        ("2025-03-20", "delivered"),
    ]
    assert listed["rows"][0]["rules"] == ["load_bearing", "hours"]


def test_deposits_acceptances_overrun(app, week_of_records):
    """Deposits by the ledger's dates, held at the week's end; acceptances passed in the week;
    permits overrun at its end (closed later still counts), days over on the Saturday."""
    found = _report(app, week_of_records[0])
    assert found["deposits"] == {"received": 0, "deducted": 500, "refunded": 1000, "held": 3500}
    assert found["acceptances"] == {"passed": 1, "failed": 0}
    assert found["stop_works"] == {"issued": 0, "lifted": 0}
    assert [(r["number"], r["days_over"]) for r in found["overrun"]["rows"]] == [("R-1", 3)]


def test_rectified_stop_works_and_acceptances_from_their_records(app, week_of_records):
    """Are the re-inspections' and acceptances' records counted in their estate's week — a
    notice rectified, a stop-work issued and another lifted, an acceptance passed and one
    failed — and nothing just outside it, nothing of the other estate?"""
    one, two = week_of_records
    with app.app_context():
        u7, u8 = units_of(one, "occupied")[6:8]
        fixed = notice(one, u7, local(1, 9) - timedelta(days=9), ["hours"], date(2025, 3, 3))
        fixed.rectified_at, fixed.status = local(4, 15), "rectified"
        late = notice(one, u8, local(1, 9) - timedelta(days=9), ["hours"], date(2025, 3, 3))
        late.rectified_at = CLOSES + timedelta(minutes=1)  # Saturday: next week's
        stopped = notice(one, u7, local(1, 9) - timedelta(days=20), ["permit"], date(2025, 2, 20))
        theirs = notice(two, units_of(two, "occupied")[1], local(2, 9), ["hours"], date(2025, 3, 4))
        for made, issued, lifted, estate_id, unit in (
            (stopped, local(3, 16), None, one, u7),
            (late, OPENS - timedelta(days=3), local(6, 10), one, u8),
            (theirs, local(3, 16), None, two, units_of(two, "occupied")[1]),
        ):
            db.session.flush()
            db.session.add(
                StopWork(
                    id=str(uuid.uuid4()), notice_id=made.id, estate_id=estate_id, unit_id=unit.id,
                    reinspection_id=str(uuid.uuid4()), user_id=_USER[0], issued_at=issued,
                    lifted_at=lifted,
                )
            )  # fmt: skip
        for estate_id, unit, at, result in (
            (one, u7, local(5, 10), "passed"),
            (one, u8, local(6, 10), "failed"),
            (one, u8, OPENS - timedelta(minutes=1), "failed"),  # Friday before
            (two, units_of(two, "occupied")[1], local(5, 10), "failed"),
        ):
            db.session.add(
                Acceptance(
                    **_observed(estate_id, at), unit_id=unit.id, checklist_version=1,
                    answers={}, result=result,
                )
            )  # fmt: skip
        db.session.commit()
    found = _report(app, one)
    assert found["notices"]["rectified"] == 1
    assert found["stop_works"] == {"issued": 1, "lifted": 1}
    # R-2 closed as accepted at the office with no acceptance recorded counts as passed too.
    assert found["acceptances"] == {"passed": 2, "failed": 1}


def test_reported_items_by_category_in_the_estates_week(app, week_of_records):
    """Are the week's findings counted by category on the estate's calendar (a flagged clock
    by its arrival), with those still open, and nothing of the other estate?"""
    found = _report(app, week_of_records[0])["reported"]
    assert found["total"] == 4
    assert found["categories"][0] == {"category": "漏水", "reported": 2, "open": 1}
    assert {r["category"]: (r["reported"], r["open"]) for r in found["categories"][1:]} == {
        "門窗損壞": (1, 1),  # its phone's clock was off: counted by its arrival
        "裝修違規": (1, 1),
    }
    other = _report(app, week_of_records[1])
    assert other["reported"]["total"] == 1 and other["notices"]["issued"] == 1
    assert other["violations"]["major_failed"] == 1


def test_week_bounds_follow_each_estates_zone(app, week_of_records):
    """The same instant, the first minute of Saturday in Taipei, is Friday morning in Los
    Angeles: it is in Taipei's week and not in Los Angeles's."""
    one, two = week_of_records
    with app.app_context():
        db.session.get(Estate, two).timezone = "America/Los_Angeles"
        finding(two, OPENS, "蟲害")
        finding(two, datetime(2025, 3, 8, 7, 59, tzinfo=UTC), "蟲害")  # Fri 23:59 in LA
        db.session.commit()
        estates = [db.session.get(Estate, i) for i in (one, two)]
        taipei, la = report.report(db.session, estates, WEEK, datetime.now(UTC))
    assert taipei["reported"]["total"] == 4
    assert {r["category"]: r["reported"] for r in la["reported"]["categories"]}["蟲害"] == 1


def test_the_reads_do_not_grow_with_the_units(app, week_of_records):
    """Is the report a fixed number of statements, whatever the estates (no read per unit)?"""
    with app.app_context():
        estates = list(db.session.scalars(sa.select(Estate).order_by(Estate.id)))
        statements = []

        def count(*args):
            statements.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            report.report(db.session, estates[:1], WEEK, datetime.now(UTC))
            one = len(statements)
            statements.clear()
            report.report(db.session, estates, WEEK, datetime.now(UTC))
            both = len(statements)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        db.session.rollback()
    assert both <= one + 2 and one <= 20, (one, both)


def test_page_pdf_and_workbook(app, client, auth, week_of_records):
    """Does the page show the week's blocks; does the PDF read back with the estate, the week,
    the counts and the open notices; does the workbook have a sheet per block?"""
    one, _two = week_of_records
    auth.login("supervisor")
    page = client.get(f"/renovation/report?estate={one}&week=2025-W10")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2025-W10" in html and 'data-block="violations"' in html and "破壞承重牆" in html
    pdf = client.get(f"/renovation/report.pdf?estate={one}&week=2025-W10")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "filename*=UTF-8''%E6%AF%8F%E9%80%B1" in pdf.headers["Content-Disposition"]
    text = pdf_text(pdf.data)
    if os.environ.get("SHOTS"):
        Path(os.environ["SHOTS"]).mkdir(exist_ok=True)
        (Path(os.environ["SHOTS"]) / "saturday-report.pdf").write_bytes(pdf.data)
    for expected in ("每週裝修統計報表", "2025-W10", "03-01（六）", "03-07（五）", "破壞承重牆",
                     "重大違規合計", "R-1", "2025-03-05", "逾期", "主管簽名"):  # fmt: skip
        assert expected in text, expected
    book = client.get(f"/renovation/report.xlsx?estate={one}&week=2025-W10")
    assert book.status_code == 200
    sheets = load_workbook(io.BytesIO(book.data), read_only=True)
    assert sheets.sheetnames == ["裝修巡檢", "違規情況", "整改通知單", "停工", "竣工驗收",
                                 "裝修押金", "報事", "未整改通知單", "逾期未驗收"]  # fmt: skip
    rows = list(sheets["裝修押金"].values)
    assert rows[0] == ("小區", "週次", "本週收取", "本週扣除", "本週退還", "週末結存")
    assert rows[1][1:] == ("2025-W10", 0, 500, 1000, 3500)
    patrols = list(sheets["裝修巡檢"].values)
    assert patrols[-1][2:5] == ("合計", 14, 10)
    sheets.close()


def test_the_page_names_the_due_day_once(client, auth, week_of_records):
    """Does the page's lead name the Saturday the report is due once (its day name is in the
    date already), in either language?"""
    one, _two = week_of_records
    auth.login("supervisor")
    path = f"/renovation/report?estate={one}&week=2025-W10"
    chinese = client.get(path).get_data(as_text=True)
    assert "03-08（六） 09:00" in chinese and "週六 03-08" not in chinese
    english = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "due Sat 03-08 at 09:00" in english and "Saturday Sat" not in english


def test_bad_week_is_a_400_that_says_how(client, auth, seed):
    """Is a week that is no week refused with a message, on the page and the files?"""
    auth.login("supervisor")
    for path in ("/renovation/report", "/renovation/report.pdf", "/renovation/report.xlsx"):
        response = client.get(path, query_string={"week": "2025-W60"})
        assert response.status_code == 400
        assert "YYYY-Www" in response.get_data(as_text=True)


def test_a_supervisor_sees_only_their_estates(app, client, auth, week_of_records):
    """Does estate 2's supervisor get 404 asking for estate 1, and see only estate 2 without
    asking; does a regional supervisor see a section per estate; a patroller nothing?"""
    one, two = week_of_records
    auth.login("supervisor2")
    assert client.get(f"/renovation/report?estate={one}&week=2025-W10").status_code == 404
    assert client.get(f"/renovation/report.pdf?estate={one}&week=2025-W10").status_code == 404
    html = client.get("/renovation/report?week=2025-W10").get_data(as_text=True)
    assert f'id="report-estate-{two}"' in html and f'id="report-estate-{one}"' not in html
    text = pdf_text(client.get("/renovation/report.pdf?week=2025-W10").data)
    with app.app_context():
        name_one = db.session.get(Estate, one).name
    assert name_one not in text
    auth.logout()
    auth.login("regional")
    html = client.get("/renovation/report?week=2025-W10").get_data(as_text=True)
    assert f'id="report-estate-{two}"' in html and f'id="report-estate-{one}"' in html
    auth.logout()
    auth.login("patrol")
    assert client.get("/renovation/report").status_code == 403


def test_dashboard_card_on_saturdays_and_a_link_always(app, client, auth, seed, monkeypatch):
    """Does the dashboard carry the report's link; does its card show the week's numbers on a
    Saturday (the estate's) and only the link on another day?"""
    from webapp.renovation import report_views

    auth.login("supervisor")
    dashboard = client.get("/review/dashboard").get_data(as_text=True)
    assert 'id="dash-report-card"' in dashboard and "/renovation/report" in dashboard
    saturday = datetime(2025, 3, 8, 2, tzinfo=UTC)  # 10:00 in Taipei
    monkeypatch.setattr(report_views, "utcnow", lambda: saturday)
    card = client.get("/renovation/report/card").get_data(as_text=True)
    assert 'data-saturday="yes"' in card and "2025-W10" in card and "report.pdf" in card
    monkeypatch.setattr(report_views, "utcnow", lambda: saturday - timedelta(hours=12))
    card = client.get("/renovation/report/card").get_data(as_text=True)
    assert 'data-saturday="no"' in card and "<table" not in card
