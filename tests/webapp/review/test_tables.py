"""The dashboard's tables: each card, its full page and its CSV/XLSX agree row for row, honour
the estate and days filters, and stay inside the reader's estates; the charts' days are the
estate's calendar days; the dashboard's short cache drops what a commit changes."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.webapp.review.conftest import make_finding
from webapp.exports import safe
from webapp.extensions import db
from webapp.models import Device, Estate, Unit, User
from webapp.models.sync import Check, Finding, QuarantinedOp
from webapp.models.types import utcnow
from webapp.review import dashboard, tables

CELL = re.compile(r"<td>(.*?)</td>", re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
SLUGS = ["open", "vacant", "renovating", "devices", "quarantine", "missed"]


def _screen_rows(client, slug: str, query: str) -> list[list[str]]:
    """Every row of a table's page, following its pages to the end."""
    rows, page = [], 1
    while True:
        response = client.get(f"/review/tables/{slug}?{query}&page={page}")
        assert response.status_code == 200
        body = response.get_data(as_text=True).split('id="review-table"', 1)[1]
        tbody = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in body else ""
        rows += [[html.unescape(c).strip() for c in CELL.findall(r)] for r in ROW.findall(tbody)]
        if 'rel="next"' not in body:
            return rows
        page += 1


def _csv_rows(client, slug: str, query: str) -> list[list[str]]:
    response = client.get(f"/review/tables/{slug}.csv?{query}")
    assert response.status_code == 200
    assert response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def _xlsx_rows(client, slug: str, query: str) -> list[list[str]]:
    response = client.get(f"/review/tables/{slug}.xlsx?{query}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    return [
        ["" if v is None else str(v) for v in row]
        for row in book.active.iter_rows(values_only=True)
    ]


@pytest.fixture
def busy(app, seed):
    """Checks on some vacant units, stale phones, quarantined ops and findings."""
    with app.app_context():
        estate = seed.estate_ids[0]
        patrol = db.session.scalar(sa.select(User).where(User.username == "patrol"))
        # Eight more vacant units (and four under renovation) with no check yet; half of the
        # vacant ones then get a check 1, 5, 9 and 13 days ago.
        vacant = db.session.scalars(
            sa.select(Unit)
            .where(Unit.estate_id == estate, Unit.status == "occupied")
            .order_by(Unit.id)
            .limit(12)
        ).all()
        assert len(vacant) == 12
        for unit in vacant[8:]:
            unit.status = "renovating"
        vacant = vacant[:8]
        for unit in vacant:
            unit.status = "vacant"
        now = utcnow()
        for i, unit in enumerate(vacant):
            if i % 2:
                continue
            at = now - timedelta(days=1 + i * 2)
            db.session.add(
                Check(
                    id=str(uuid.uuid4()),
                    op_id=str(uuid.uuid4()),
                    user_id=patrol.id,
                    occurred_at=at,
                    received_at=at,
                    estate_id=estate,
                    item_type="unit",
                    item_id=unit.id,
                    code="",
                    method="scan",
                    result="ok",
                    answers={},
                )
            )
        for i in range(5):
            db.session.add(
                Device(
                    id=str(uuid.uuid4()),
                    user_id=patrol.id,
                    name=f"=HYPERLINK(phone {i})",
                    token_hash=uuid.uuid4().hex + uuid.uuid4().hex,
                    pending_count=i,
                    last_sync_at=now - timedelta(days=i),
                )
            )
        for i in range(5):
            db.session.add(
                QuarantinedOp(
                    op_id=f"op-{i}",
                    content_hash="0" * 64,
                    type="check",
                    user_id=patrol.id,
                    estate_id=estate,
                    error="unknown_code",
                    message=f"<script>alert({i})</script>",
                    raw={},
                    received_at=now - timedelta(hours=i),
                )
            )
        db.session.commit()
        for severity in ("low", "high", "critical"):
            make_finding(estate, severity=severity)
    return seed


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("which", ["all", "first", "days"])
def test_table_exports_match_the_page_row_for_row(client, auth, busy, monkeypatch, slug, which):
    """Do a table's CSV and XLSX hold exactly the rows of its pages, in order, per filter?"""
    monkeypatch.setattr(tables, "PAGE", 3)  # several pages even on the small seed
    query = {
        "all": "",
        "first": f"estate={busy.estate_ids[0]}",
        "days": f"estate={busy.estate_ids[0]}&days=2",
    }[which]
    auth.login("supervisor")
    screen = _screen_rows(client, slug, query)
    from_csv = _csv_rows(client, slug, query)
    from_xlsx = _xlsx_rows(client, slug, query)
    table = tables.TABLES[slug]
    assert len(from_csv[0]) == len(table.headers)
    # The files keep formula-like text as text ('=...); otherwise the cells are the screen's.
    assert from_csv[1:] == [[safe(c) for c in r] for r in screen]
    assert from_xlsx[1:] == [[safe(c) for c in r] for r in screen]
    assert from_xlsx[0] == from_csv[0]


def test_tables_have_rows_and_filters_narrow(client, auth, busy, monkeypatch):
    """Are the tables non-trivial here, and do the days and estate filters change them?"""
    monkeypatch.setattr(tables, "PAGE", 3)
    auth.login("supervisor")
    first = f"estate={busy.estate_ids[0]}"
    for slug in ("open", "vacant", "renovating", "devices", "quarantine"):
        assert len(_screen_rows(client, slug, first)) > 3, slug  # more than one page
    week = _screen_rows(client, "vacant", first)
    two_days = _screen_rows(client, "vacant", first + "&days=2")
    year = _screen_rows(client, "vacant", first + "&days=365")
    assert len(year) < len(week) < len(two_days)
    # The open summary counts what the findings list shows.
    rows = {(g, k): int(n) for g, k, n in _csv_rows(client, "open", first)[1:]}
    assert sum(n for (g, _k), n in rows.items() if g == "嚴重程度") == len(
        _screen_finding_ids(client, first)
    )


def _screen_finding_ids(client, query):
    from tests.webapp.review.test_export import _screen_ids

    return _screen_ids(client, query)


def test_formula_and_markup_in_cells_stay_inert(client, auth, busy):
    """Is a phone named like a formula exported as text, and quarantined markup escaped?"""
    auth.login("supervisor")
    names = [r[0] for r in _csv_rows(client, "devices", "")[1:]]
    assert "'=HYPERLINK(phone 3)" in names
    page = client.get("/review/tables/quarantine").get_data(as_text=True)
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(" in page


def test_dashboard_cards_are_the_tables_first_rows(client, auth, busy):
    """Do the dashboard's cards show the first rows and the totals of the same tables?"""
    auth.login("supervisor")
    estate = busy.estate_ids[0]
    page = client.get(f"/?estate={estate}").get_data(as_text=True)
    for slug, anchor in (("vacant", "dash-vacant"), ("devices", "dash-devices")):
        section = page.split(f'id="{anchor}"', 1)[1].split("</section>", 1)[0]
        exported = _csv_rows(client, slug, f"estate={estate}")[1:]
        cards = [
            [html.unescape(c).strip() for c in CELL.findall(r)]
            for r in ROW.findall(section.split("<tbody>", 1)[1])
        ]
        skip = 1 if slug == "vacant" else 0  # one estate: the card drops the estate column
        assert [[safe(c) for c in r] for r in cards] == [
            r[skip:] for r in exported[: dashboard.CARD_ROWS]
        ]
        assert f"全部 {len(exported)}" in section


def test_keys_card_counts_match_the_register_exports(client, auth, seed, app):
    """Do the keys card's counts equal the rows of the register export it links to?"""
    auth.login("supervisor")
    estate = seed.estate_ids[0]
    page = client.get(f"/?estate={estate}").get_data(as_text=True)
    section = page.split('id="dash-keys"', 1)[1].split("</section>", 1)[0]
    for status in ("out", "overdue", "disputed"):
        url = f"/keys/register.csv?estate={estate}&amp;status={status}"
        assert url in section
        n = len(_csv_text(client, url.replace("&amp;", "&"))) - 1
        item = section.split(url, 1)[1].split("</li>", 1)[0]
        assert re.search(rf'<span class="num">{n}</span>', item), (status, n)


def _csv_text(client, url):
    return list(csv.reader(io.StringIO(client.get(url).get_data(as_text=True).lstrip("\ufeff"))))


def test_tables_of_another_estate_are_not_found(client, auth, seed):
    """Is asking for another estate's table, page or file, a 404?"""
    auth.login("supervisor")
    other = seed.estate_ids[1]
    for url in (
        f"/review/tables/vacant?estate={other}",
        f"/review/tables/vacant.csv?estate={other}",
        f"/review/tables/quarantine.xlsx?estate={other}",
        "/review/tables/nope",
    ):
        assert client.get(url).status_code == 404, url


def test_tables_are_for_supervisors_and_admins(client, auth, seed):
    """Do patrol and the desk get 403 on the tables?"""
    for user in ("patrol", "desk"):
        auth.login(user)
        assert client.get("/review/tables/vacant").status_code == 403
        assert client.get("/review/tables/vacant.csv").status_code == 403
        auth.logout()


def test_findings_per_day_use_the_estate_calendar(app, seed):
    """Is a finding at 17:00 UTC counted on the next day in Taipei (UTC+8), not on its UTC day?"""
    with app.app_context():
        estate = db.session.get(Estate, seed.estate_ids[0])
        estate.timezone = "Asia/Taipei"
        db.session.commit()
        fid = make_finding(estate.id)
        finding = db.session.get(Finding, fid)
        now = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # 04:00 on the 11th in Taipei
        finding.occurred_at = datetime(2026, 3, 9, 17, 30, tzinfo=UTC)  # 01:30 on the 10th
        db.session.commit()
        days = dict(dashboard.per_day([estate.id], now))
        today = now.astimezone(ZoneInfo("Asia/Taipei")).date()
        assert max(days) == today == datetime(2026, 3, 11).date()
        assert days[datetime(2026, 3, 10).date()] == 1
        assert days[datetime(2026, 3, 9).date()] == 0


def test_dashboard_cache_drops_an_estate_when_a_finding_arrives(client, auth, seed, app):
    """Does the cached dashboard show a new finding on the next poll, not 30 s later?"""
    auth.login("supervisor")
    hx = {"HX-Request": "true"}
    estate = seed.estate_ids[0]

    def open_count():
        body = client.get(f"/review/dashboard?estate={estate}", headers=hx).get_data(as_text=True)
        return int(re.search(r"<dd>(\d+)</dd>", body).group(1))

    before = open_count()
    assert open_count() == before  # served again (from the cache)
    with app.app_context():
        make_finding(estate)
    assert open_count() == before + 1
    with app.app_context():
        make_finding(seed.estate_ids[1])  # another estate's: not this dashboard's business
    assert open_count() == before + 1


def test_a_phone_syncing_drops_the_dashboards_of_its_users_estates_only(app, seed):
    """A sync updates the phone's device row, which has no estate: are the dashboards of the
    phone user's estates dropped, and those of every other estate kept?"""
    from webapp.review import cache

    with app.app_context():
        patrol2 = db.session.scalar(sa.select(User).where(User.username == "patrol2"))
        theirs = set(patrol2.estate_ids)
        assert theirs and set(seed.estate_ids) - theirs
        phone = Device(user_id=patrol2.id, name="手機", token_hash=uuid.uuid4().hex)
        db.session.add(phone)
        db.session.commit()
        before, any_before = dict(cache._generation), cache._any_generation
        phone.last_seen_at = utcnow()
        phone.pending_count = 3
        db.session.commit()
        after = cache._generation
        assert cache._any_generation == any_before
        for estate in seed.estate_ids:
            bumped = after.get(estate, 0) > before.get(estate, 0)
            assert bumped == (estate in theirs), estate


def test_item_labels_read_one_query_per_kind_for_owner_keys_and_units(app, seed):
    """Do the labels of many units and owner keys (a key's label names its unit and the
    unit's building) take one read per kind, not one more per key for its unit?"""
    from webapp.models import Key
    from webapp.review.queries import item_labels

    with app.app_context():
        keys = db.session.execute(
            sa.select(Key.id, Key.unit_id).where(Key.key_class == "owner").limit(12)
        ).all()
        units = db.session.scalars(sa.select(Unit.id).limit(12)).all()
        assert len(keys) > 3 and len({u for _k, u in keys}) > 1 and len(units) > 3
        refs = [("key", k) for k, _u in keys] + [("unit", u) for u in units]
        db.session.expunge_all()  # nothing already in the session answers for free
        selects: list[str] = []

        def listen(_conn, _cursor, statement, *_args):
            selects.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", listen)
        try:
            labels = item_labels(refs)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listen)
        assert len(labels) == len(set(refs))
        assert len(selects) == 2, selects
