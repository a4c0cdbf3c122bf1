"""Proof of presence against the database: a checkpoint's position learned from its first good
fixes, later checks far from it flagged on the coverage page and for the record page, and
another estate's checks never counted."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from tests.webapp.rounds.conftest import add_check
from webapp.extensions import db
from webapp.models import Estate, Sign
from webapp.models.sync import Check
from webapp.rounds import presence
from webapp.rounds.presence import EARTH_M

HOME = (25.0330, 121.5654)
DAY = "2025-06-03"


def north(metres: float, point=HOME) -> dict:
    """Geo columns for a fix ``metres`` north of ``point``."""
    return {"geo_lat": point[0] + math.degrees(metres / EARTH_M), "geo_lon": point[1]}


def fix(metres: float, accuracy: float | None = 8.0) -> dict:
    return {**north(metres), "geo_accuracy_m": accuracy}


@pytest.fixture
def walked(app, seed, rounds):
    """Signs of the first estate with learning fixes before DAY and later checks on DAY, and a
    sign of the second estate checked far from its own fixes on DAY. Returns check ids."""
    with app.app_context():
        # The demo's history has fixes of its own (later than these): none here.
        db.session.execute(sa.update(Check).values(geo_lat=None, geo_lon=None, geo_accuracy_m=None))
        tz = ZoneInfo(db.session.get(Estate, seed.estate_ids[0]).timezone)
        before = datetime(2025, 5, 20, 9, 0, tzinfo=tz)
        on = datetime(2025, 6, 3, 9, 0, tzinfo=tz)
        a, b, c, d = rounds[:4]
        ids = {}
        # Sign a: five good fixes within a few metres, recorded out of order (a phone that
        # synced late): the device time orders them, not the arrival.
        for n, metres in enumerate((3.0, -4.0, 0.0, 5.0, -2.0)):
            add_check(a, before + timedelta(days=4 - n), **fix(metres))
        ids["far"] = add_check(a, on, **fix(300.0, 10.0))
        ids["indoor"] = add_check(a, on + timedelta(minutes=1), **fix(1000.0, 80.0))
        ids["no_fix"] = add_check(a, on + timedelta(minutes=2))
        ids["near"] = add_check(a, on + timedelta(minutes=3), **fix(40.0, 10.0))
        ids["edge"] = add_check(a, on + timedelta(minutes=4), **fix(105.0, 10.0))  # < 110
        # Sign b: its first five good fixes are on DAY, the fifth 900 m off: a learning
        # check, never flagged; the sixth, as far, is.
        for n, metres in enumerate((0.0, 2.0, -1.0, 1.0)):
            add_check(b, on + timedelta(minutes=n), **fix(metres))
        ids["b_learning"] = add_check(b, on + timedelta(minutes=5), **fix(900.0))
        ids["b_far"] = add_check(b, on + timedelta(minutes=6), **fix(900.0))
        # Sign c: four good fixes and an indoor one; the next good fix is the fifth good one
        # (a learning check), however far it is.
        for n in range(4):
            add_check(c, before + timedelta(days=n), **fix(0.0))
        add_check(c, before + timedelta(days=5), **fix(0.0, 80.0))
        ids["c_fifth"] = add_check(c, on, **fix(700.0))
        # Sign d: never a good fix.
        ids["d_none"] = add_check(d, on, **fix(500.0, 65.0))
        # The second estate: a sign learned at HOME, checked 2 km away on DAY.
        other = db.session.scalar(
            sa.select(Sign.id).where(Sign.estate_id == seed.estate_ids[1]).order_by(Sign.id)
        )
        for n in range(5):
            add_check(other, before + timedelta(days=n), **fix(0.0))
        ids["other_far"] = add_check(other, on, **fix(2000.0))
        ids["other_sign"] = other
        db.session.commit()
        return ids


def _far(app, estate_id):
    with app.app_context():
        estate = db.session.get(Estate, estate_id)
        tz = ZoneInfo(estate.timezone)
        lo = datetime(2025, 6, 3, tzinfo=tz)
        return presence.far_fixes(db.session, estate, lo, lo + timedelta(days=1))


def test_far_fixes_flag_later_good_fixes_only(app, seed, walked):
    """Is a later good fix 300 m off flagged, and not an indoor one (80 m), a check with no
    fix, a near one, one inside 100 m plus its accuracy, a learning check however far, nor
    anything of a checkpoint that never had a good fix?"""
    far = _far(app, seed.estate_ids[0])
    assert [f.check_id for f in far] == [walked["far"], walked["b_far"]]
    assert far[0].distance_m == pytest.approx(300.0, abs=1.0)
    assert far[0].accuracy_m == 10.0
    assert far[1].distance_m == pytest.approx(900.0 - 1.0, abs=1.0)  # median of 0, 2, -1, 1, 900
    assert far[0].who  # the patroller's name, for the supervisor


def test_another_estates_checks_are_never_counted(app, seed, walked):
    """Is the second estate's far check only on its own list, and is its sign's position
    unknown when asked for under the first estate?"""
    first = {f.check_id for f in _far(app, seed.estate_ids[0])}
    second = {f.check_id for f in _far(app, seed.estate_ids[1])}
    assert walked["other_far"] not in first
    assert second == {walked["other_far"]}
    with app.app_context():
        ref = ("sign", walked["other_sign"])
        assert presence.positions(db.session, seed.estate_ids[0], [ref]) == {}
        assert ref in presence.positions(db.session, seed.estate_ids[1], [ref])


def test_positions_learn_from_the_first_five_good_fixes(app, seed, rounds, walked):
    """Is each position the median of the item's first five good fixes by device time, the
    checks it came from named, and no position without a good fix?"""
    with app.app_context():
        a, b, c, d = rounds[:4]
        learned = presence.positions(
            db.session, seed.estate_ids[0], [("sign", a), ("sign", b), ("sign", c), ("sign", d)]
        )
        assert set(learned) == {("sign", a), ("sign", b), ("sign", c)}
        home = presence.distance_m(learned[("sign", a)].position, HOME)
        assert home == pytest.approx(0.0, abs=0.01)  # median of 3, -4, 0, 5, -2
        assert learned[("sign", a)].fixes == 5
        assert walked["far"] not in learned[("sign", a)].ids
        assert walked["b_learning"] in learned[("sign", b)].ids
        assert walked["c_fifth"] in learned[("sign", c)].ids


def test_for_check_gives_the_record_page_its_line(app, seed, walked):
    """Does one check get (position, distance, far): far for the far check, not for a
    learning one, no distance without a fix, nothing for a checkpoint with no good fix?"""
    with app.app_context():

        def of(key):
            return presence.for_check(db.session, db.session.get(Check, walked[key]))

        position, distance, far = of("far")
        assert presence.distance_m(position, HOME) < 0.01
        assert distance == pytest.approx(300.0, abs=1.0) and far is True
        assert of("b_learning").far is False and of("b_learning").distance_m > 800
        assert of("indoor").far is False and of("indoor").distance_m == pytest.approx(1000, abs=1)
        assert of("no_fix") == (of("far").position, None, False)
        assert of("d_none") == (None, None, False)


def test_coverage_page_lists_far_fixes_beside_fast_sequences(client, auth, seed, walked):
    """Does the coverage grid list the day's far fixes with the distance, each linked to its
    record, only the estate's own, and none on a day without any?"""
    auth.login("supervisor")
    html = client.get(f"/rounds/coverage?estate={seed.estate_ids[0]}&date={DAY}").get_data(
        as_text=True
    )
    assert 'id="far-title"' in html
    assert f'/records/checks/{walked["far"]}"' in html
    assert f'/records/checks/{walked["b_far"]}"' in html
    assert f'/records/checks/{walked["b_learning"]}"' not in html
    assert f'/records/checks/{walked["other_far"]}"' not in html
    assert "相距 300 公尺（±10 公尺）" in html
    quiet = client.get(f"/rounds/coverage?estate={seed.estate_ids[0]}&date=2025-06-10")
    assert 'id="far-title"' not in quiet.get_data(as_text=True)


def test_the_record_page_says_how_far_the_check_was(client, auth, seed, walked):
    """Does a check's record page give its distance from the checkpoint, flag it far only
    when it is (not a learning check however far), and say when the position is not known?"""
    auth.login("supervisor")

    def line(key):
        page = client.get(f"/records/checks/{walked[key]}").get_data(as_text=True)
        return page.split("<dd data-presence>", 1)[1].split("</dd>", 1)[0]

    assert line("far").startswith("300 公尺") and "遠離檢查點" in line("far")
    assert line("near").startswith("40 公尺") and "遠離檢查點" not in line("near")
    assert "遠離檢查點" not in line("b_learning")  # 900 m off, but it made the position
    assert line("no_fix") == "—"
    assert "尚不知道" in line("d_none")


def test_a_fast_run_names_a_patroller_without_a_display_name(app, seed, rounds):
    """Does the coverage page's fast-run list name its patroller by username when they have
    no display name (as every other list names people), not leave the name blank?"""
    from webapp.models import User
    from webapp.rounds import service

    with app.app_context():
        patrol = db.session.scalar(sa.select(User).where(User.username == "patrol"))
        patrol.display_name = ""  # the default: no display name given
        estate = db.session.get(Estate, seed.estate_ids[0])
        on = datetime(2025, 6, 3, 9, 0, tzinfo=ZoneInfo(estate.timezone))
        add_check(rounds[0], on)
        add_check(rounds[1], on + timedelta(seconds=3))
        db.session.commit()
        fast = service.fast_sequences(db.session, estate, on, on + timedelta(hours=1))
        assert [f["who"] for f in fast] == ["patrol"]
