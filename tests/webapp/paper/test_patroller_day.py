"""A patroller's day: every check one person made that day, in order, flagged where a
supervisor should look twice, kept to the reader's estates."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from sync.merge import Actor, push
from webapp.extensions import db
from webapp.labels.codes import ensure_codes
from webapp.models import Estate, Sign
from webapp.rounds.presence import FAR_M, LEARN_FIXES


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-check="([^"]+)"', page)


def _day_url(walked, day=None) -> str:
    return f"/records/people/{walked['patrol']}?day={(day or walked['day']).isoformat()}"


def test_the_day_lists_each_check_in_order_linked_to_its_record(client, auth, walked, app):
    """Are the day's four checks listed in the order they were made (the earlier renovation
    visit of the day before is not), each linking to its record, with the scanned share?"""
    with app.app_context():
        tz = ZoneInfo(db.session.get(Estate, walked["estate"]).timezone)
    day = walked["day"]
    # One more check at 07:00, pushed after the 09:30 ones: listed first all the same.
    (early,) = _push_sign_checks(
        app,
        walked,
        [(datetime(day.year, day.month, day.day, 7, 0, tzinfo=tz), None, None, None)],
        datetime.now(UTC),
    )
    auth.login("supervisor")
    response = client.get(_day_url(walked))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    ids = walked["check_ids"]
    listed = _rows(page)
    # The walked checks (all made at 09:30, the seed's demo checks around them).
    assert set(ids[1:]) <= set(listed) and ids[0] not in listed
    times = re.findall(r'<tr data-check="[^"]+"[^>]*>\s*<td><a [^>]*>([0-9:]{8})</a>', page)
    assert len(times) == len(listed) and times == sorted(times), times
    assert listed.index(early) < min(listed.index(i) for i in ids[1:])
    for check_id in listed:
        assert f'href="/records/checks/{check_id}"' in page
    assert 'data-method="manual"' in page and "陳志明" in page
    methods = re.findall(r'<td data-method="(\w+)"', page)
    assert len(methods) == len(listed)
    share = 100 * methods.count("scan") // len(methods)  # rounded down, as coverage's
    assert f'data-total="scanned">{share}%<' in page
    # The day before holds the first visit, and not the day's.
    earlier = _rows(
        client.get(_day_url(walked, walked["day"] - timedelta(days=1))).get_data(as_text=True)
    )
    assert ids[0] in earlier and not set(ids[1:]) & set(earlier)


def _push_sign_checks(app, walked, fixes, now):
    """Checks of one sign at these (time, lat, lon, accuracy) fixes, pushed at ``now``."""
    with app.app_context():
        estate = db.session.get(Estate, walked["estate"])
        # A sign of its own (no demo visits: the fixes here alone teach its position).
        sign = db.session.scalar(sa.select(Sign).where(Sign.location == "測試牌"))
        if sign is None:
            sign = Sign(estate_id=estate.id, category="floor", location="測試牌")
            db.session.add(sign)
            db.session.flush()
        code = ensure_codes(db.session, "sign", [sign])[sign.id].code
        ops, ids = [], []
        for at, lat, lon, acc in fixes:
            ids.append(str(uuid.uuid4()))
            ops.append(
                {
                    "op_id": str(uuid.uuid4()),
                    "type": "check.record",
                    "occurred_at": at.isoformat(),
                    "payload": {
                        "id": ids[-1],
                        "code": code,
                        "method": "scan",
                        "result": "ok",
                        "answers": {},
                        "photos": [],
                        **({"geo": {"lat": lat, "lon": lon, "accuracy_m": acc}} if lat else {}),
                    },
                }
            )
        answers = push(db.session, Actor(walked["patrol"], [estate.id]), ops, now)
        assert {a["status"] for a in answers} == {"applied"}, answers
        db.session.commit()
        return ids


def test_the_record_page_leads_to_the_inspectors_day(client, auth, walked):
    """Does a check's record name its inspector with a link to that inspector's day?"""
    auth.login("supervisor")
    page = client.get(f"/records/checks/{walked['check_ids'][1]}").get_data(as_text=True)
    assert f'href="{_day_url(walked)}"' in page


def test_the_coverage_page_leads_to_each_patrollers_day(client, auth, walked):
    """Does the coverage page's by-patroller table link the inspector to their day?"""
    auth.login("supervisor")
    day = walked["day"].isoformat()
    page = client.get(f"/rounds/coverage?estate={walked['estate']}&date={day}")
    assert f'href="{_day_url(walked)}"' in page.get_data(as_text=True)


def test_far_fixes_and_an_off_clock_are_flagged(client, auth, walked, app):
    """Is a check whose good fix lies far from the sign's learned position flagged, and one
    from a phone whose clock ran ahead, while the checks that taught the position are not?"""
    tz = ZoneInfo("Asia/Taipei")
    with app.app_context():
        tz = ZoneInfo(db.session.get(Estate, walked["estate"]).timezone)
    day = walked["day"]
    noon = datetime(day.year, day.month, day.day, 12, 0, tzinfo=tz)
    lat, lon = 25.03, 121.56
    away = lat + (FAR_M * 3) / 111_000  # three times the limit north
    # The sign's first LEARN_FIXES good fixes (days before) teach its position.
    learning = _push_sign_checks(
        app,
        walked,
        [(noon - timedelta(days=3, minutes=n), lat, lon, 10.0) for n in range(LEARN_FIXES)],
        datetime.now(UTC),
    )
    far, near = _push_sign_checks(
        app,
        walked,
        [(noon, away, lon, 10.0), (noon + timedelta(minutes=5), lat, lon, 12.0)],
        datetime.now(UTC),
    )
    # A phone whose clock is an hour ahead of the server when it sends.
    (ahead,) = _push_sign_checks(
        app, walked, [(noon + timedelta(hours=1), None, None, None)], noon - timedelta(minutes=1)
    )
    auth.login("supervisor")
    page = client.get(_day_url(walked)).get_data(as_text=True)

    def flags(check_id):
        row = page.split(f'<tr data-check="{check_id}"', 1)[1].split("</tr>", 1)[0]
        return set(re.findall(r'data-flag="(\w+)"', row))

    assert flags(far) == {"far"}
    assert flags(near) == set()
    assert flags(ahead) == {"skewed"}
    assert learning[0] not in _rows(page)  # three days before


@pytest.mark.parametrize(
    ("who", "whose", "status"),
    [("supervisor", "patrol2", 404), ("desk", "patrol", 403), ("patrol2", "patrol", 403)],
)
def test_the_day_is_kept_to_the_readers_estates_and_roles(
    client, auth, walked, seed, who, whose, status
):
    """Does a supervisor asking for the day of a patroller of another estate only (patrol2)
    get a 404, and the front desk or a patroller a 403, never the patroller's checks?"""
    auth.login(who)
    day = walked["day"].isoformat()
    response = client.get(f"/records/people/{seed.user_ids[whose]}?day={day}")
    assert response.status_code == status
    assert walked["check_ids"][1] not in response.get_data(as_text=True)


def test_no_day_is_today_and_a_bad_day_is_a_400(client, auth, walked, app):
    """Is no day (or an empty one) today's page in the estate's zone, and a day that is no
    date a 400 naming it — not today's page as if none were asked for?"""
    with app.app_context():
        tz = ZoneInfo(db.session.get(Estate, walked["estate"]).timezone)
    auth.login("supervisor")
    for none in ("", "?day="):
        before = datetime.now(tz).date()
        response = client.get(f"/records/people/{walked['patrol']}{none}")
        after = datetime.now(tz).date()
        assert response.status_code == 200, none
        shown = re.search(r'<p class="lead">([0-9-]+)</p>', response.get_data(as_text=True))
        assert shown and shown.group(1) in {before.isoformat(), after.isoformat()}, none
    for bad in ("2026-13-40", "x" * 40, "9999-01-01", "-1", "１２"):
        response = client.get(f"/records/people/{walked['patrol']}?day={bad}")
        assert response.status_code == 400, bad
        assert "day" in response.get_data(as_text=True), bad


def test_the_days_scanned_share_is_the_coverage_pages():
    """Is a day of 112 scans in 121 checks 92 % scanned, as the coverage page's share by
    patroller rounds it (down: 100 only when every check was), not 93 beside its 92?"""
    from types import SimpleNamespace

    from webapp.records.day import Day
    from webapp.rounds.presence import Share

    rows = [SimpleNamespace(check=SimpleNamespace(method="scan"))] * 112 + [
        SimpleNamespace(check=SimpleNamespace(method="manual"))
    ] * 9
    share = Share(1, "patrol", scan=112, manual=9)
    assert Day(rows, []).share_scanned == share.scanned_pct == 92
