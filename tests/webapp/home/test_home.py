"""Home, by role: each user lands on their role's screen and sees only their estates."""

import random
import re

import pytest
import sqlalchemy as sa

from webapp.demo import DemoOptions, build_estate
from webapp.extensions import db
from webapp.models import Estate, Unit


@pytest.mark.parametrize(
    ("username", "title"),
    [
        ("patrol", "巡查"),
        ("supervisor", "審閱總覽"),
        ("engineer", "審批與派工"),
        ("desk", "鑰匙前臺"),
        ("admin", "登記冊"),
    ],
)
def test_home_is_the_roles_screen(client, auth, seed, username, title):
    """Does each role's home carry its own title?"""
    auth.login(username)
    page = client.get("/").get_data(as_text=True)
    assert f'<h1 class="page-title">{title}</h1>' in page


def test_home_shows_only_the_users_estates(client, auth, seed):
    """Does a user of the second estate see its counts and nothing of the first?"""
    auth.login("patrol2")
    page = client.get("/").get_data(as_text=True)
    assert "港灣豪庭" in page
    assert "翠湖花園" not in page


def test_home_counts_are_the_estates_own(client, auth, seed):
    """Are the unit counts those of the estate (24 units in the test seed)?"""
    auth.login("supervisor")
    page = client.get("/").get_data(as_text=True)
    assert "<dt>房屋</dt><dd>24</dd>" in page
    assert re.search(r"<dt>借出</dt><dd>\d+</dd>", page)


def test_an_estates_time_zone_is_named_in_the_readers_language(client, auth, seed):
    """Is the estate's time zone named as its reader says it (台北時間, Taiwan Time), never by
    its database id — 「Asia/Taipei」 sat beside the estate's name on a zh-Hant home?"""
    auth.login("patrol")
    page = client.get("/").get_data(as_text=True)
    assert "台北時間" in page and "Asia/Taipei" not in page
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Taiwan Time" in page and "Asia/Taipei" not in page


def test_user_text_is_escaped(app, client, auth, seed):
    """Is a user's display name escaped where it is shown?"""
    from webapp.extensions import db
    from webapp.models import User

    with app.app_context():
        user = db.session.get(User, seed.user_ids["patrol"])
        user.display_name = "<script>alert(1)</script>"
        db.session.commit()
    auth.login("patrol")
    page = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_head_office_home_lists_many_estates_as_one_table(app, client, auth, seed):
    """Over six estates, is the organisation admin's home one compact table — a line per
    estate and the totals — instead of a card each (twenty cards made a long page)?"""
    auth.login("hq")
    assert 'class="estate-grid"' in client.get("/").get_data(as_text=True)  # two: cards
    with app.app_context():
        for index in range(2, 8):
            build_estate(db.session, index, DemoOptions(units_per_estate=4), random.Random(index))
        db.session.commit()
        names = list(db.session.scalars(sa.select(Estate.name).order_by(Estate.id)))
        units = db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.active))
    page = client.get("/").get_data(as_text=True)
    assert 'class="estate-grid"' not in page and 'class="estate-card"' not in page
    rows = re.findall(r'<th scope="row" id="estate-\d+">([^<]+)</th>', page)
    assert rows == names and len(rows) == 8
    totals = re.search(r"<tfoot>.*?</tfoot>", page, re.S).group(0)
    assert "合計（8）" in totals
    assert re.findall(r'<td class="num">(\d+)</td>', totals)[0] == str(units)


# The supervisor's home (the review dashboard with the estates' counts and the header): one
# statement per thing it shows, each estate's names and zones read once for all its cards.
SUPERVISOR_HOME_STATEMENTS = 30  # at most (29 on PostgreSQL, which has no SQLite begin)


def _statements(app, client) -> list[str]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split())[:120])

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get("/").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return seen


@pytest.mark.parametrize("username", ["supervisor", "regional"])
def test_the_supervisor_home_reads_each_thing_once(app, client, auth, seed, username):
    """How many statements does a supervisor's home run, for one estate and for two (the
    regional supervisor), with the dashboard computed afresh? It ran 41: the estates' names
    were read again for each card (three of them every estate there is), the overrun permits
    read their estates three times, the findings per day their zones twice."""
    app.config["REVIEW_CACHE"] = False
    auth.login(username)
    client.get("/")
    seen = _statements(app, client)
    assert len(seen) <= SUPERVISOR_HOME_STATEMENTS, "\n".join(seen)
    assert sum("FROM estate" in s for s in seen) <= 3, "\n".join(seen)
