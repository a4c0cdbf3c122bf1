"""The dashboard shows today's round windows with their coverage, as the rounds area counts it."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from tests.sync.conftest import Phone, check_op, codes_of, issue_device
from webapp.extensions import db
from webapp.models import Estate, Sign
from webapp.models.rounds import RoundTemplate
from webapp.models.sync import Check
from webapp.models.types import utcnow
from webapp.review import cache
from webapp.rounds.service import ensure_defaults


def _all_day_signage(app, estate_id) -> tuple[str, int]:
    """Make the estate's signage check one window covering the whole of today."""
    with app.app_context():
        ensure_defaults(db.session, db.session.get(Estate, estate_id))
        template = db.session.scalar(
            sa.select(RoundTemplate).where(
                RoundTemplate.estate_id == estate_id, RoundTemplate.kind == "signage"
            )
        )
        template.slots = [{"start": "00:00", "end": "00:00", "days": 1}]
        # The demo history already walked today's signs: start from none.
        db.session.execute(
            sa.delete(Check).where(
                Check.estate_id == estate_id,
                Check.item_type == "sign",
                Check.occurred_at > utcnow() - timedelta(days=2),
            )
        )
        db.session.commit()
        signs = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Sign)
            .where(Sign.estate_id == estate_id, Sign.active)
        )
        return template.name, signs


def _window(page: str, name: str) -> str:
    match = re.search(
        r'<li class="cov-window[^"]*">(?:(?!</li>).)*?' + re.escape(name) + r".*?</li>", page, re.S
    )
    assert match, f"no window of {name} on the dashboard"
    return match.group(0)


def test_todays_window_shows_the_checks_synced_into_it(app, client, auth, seed):
    """Does a sign checked by a phone today count as done in today's signage window?"""
    estate = seed.estate_ids[0]
    name, signs = _all_day_signage(app, estate)
    app.config["REVIEW_CACHE"] = False  # the minute's cache is tested below
    auth.login("supervisor")
    dashboard = client.get("/").get_data(as_text=True)
    assert 'hx-get="/review/coverage-today"' in dashboard
    before = _window(client.get("/review/coverage-today").get_data(as_text=True), name)
    assert f"<strong>0</strong> / {signs}" in before
    assert 'class="cov-window is-open"' in before

    device_id, token = issue_device(app, "patrol")
    phone = Phone(client, device_id, token)
    codes = codes_of(app, estate, "sign", 2)
    results = phone.push([check_op(c, at=utcnow()) for c in codes]).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]

    after = _window(client.get("/review/coverage-today").get_data(as_text=True), name)
    assert f"<strong>2</strong> / {signs}" in after
    assert f"{signs - 2}" in after  # still pending


def test_the_counts_are_kept_a_minute_whatever_is_written(app, client, auth, seed):
    """Is the dear count served from the cache within its minute, even after a push?"""
    estate = seed.estate_ids[0]
    name, signs = _all_day_signage(app, estate)
    auth.login("supervisor")
    first = _window(client.get("/review/coverage-today").get_data(as_text=True), name)
    assert f"<strong>0</strong> / {signs}" in first
    device_id, token = issue_device(app, "patrol")
    phone = Phone(client, device_id, token)
    phone.push([check_op(c, at=utcnow()) for c in codes_of(app, estate, "sign", 1)])
    again = _window(client.get("/review/coverage-today").get_data(as_text=True), name)
    assert f"<strong>0</strong> / {signs}" in again
    cache.clear()
    fresh = _window(client.get("/review/coverage-today").get_data(as_text=True), name)
    assert f"<strong>1</strong> / {signs}" in fresh


def test_another_estates_windows_are_not_shown(app, client, auth, seed):
    """Are the rounds of an estate the supervisor does not see absent from the dashboard?"""
    with app.app_context():
        other = db.session.get(Estate, seed.estate_ids[1])
        ensure_defaults(db.session, other)
        db.session.commit()
        other_names = {
            t.name
            for t in db.session.scalars(
                sa.select(RoundTemplate).where(RoundTemplate.estate_id == other.id)
            )
        }
        other_name = other.name
    auth.login("supervisor")
    page = client.get("/review/coverage-today").get_data(as_text=True)
    assert "cov-window" in page
    assert other_name not in page
    assert f"estate={seed.estate_ids[1]}" not in page
    assert other_names  # the defaults exist, so their absence above means something
    assert client.get(f"/review/coverage-today?estate={seed.estate_ids[1]}").status_code == 404
