"""The supervisor's rounds pages: the coverage grid, round editing, checklist versions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.webapp.rounds.conftest import add_check
from webapp.extensions import db
from webapp.models.rounds import ChecklistVersion, RoundTemplate


def _signage_id(app, estate_id):
    with app.app_context():
        return db.session.scalar(
            sa.select(RoundTemplate.id).where(
                RoundTemplate.estate_id == estate_id, RoundTemplate.kind == "signage"
            )
        )


def test_grid_shows_statuses_by_building(app, client, auth, seed, rounds):
    """Does the grid show each checkpoint's status per window, grouped by building?"""
    from datetime import datetime

    with app.app_context():
        add_check(rounds[0], datetime.fromisoformat("2025-06-03T09:00:00+08:00"))
        db.session.commit()
    auth.login("supervisor")
    html = client.get(f"/rounds/coverage?estate={seed.estate_ids[0]}&date=2025-06-03").get_data(
        as_text=True
    )
    assert "cov-cell cov-done" in html and "cov-cell cov-missed" in html
    assert "08:00–12:00" in html and "14:00–18:00" in html
    assert "cov-group" in html
    week = client.get(f"/rounds/coverage?estate={seed.estate_ids[0]}&date=2025-06-03&view=week")
    assert week.status_code == 200
    assert week.get_data(as_text=True).count('class="cov-day"') >= 14


def test_patroller_cannot_open_the_grid(client, auth, seed, rounds):
    """Is the coverage grid for supervisors only?"""
    auth.login("patrol")
    assert client.get("/rounds/coverage").status_code == 403


def test_edit_windows_and_reject_bad_times(app, client, auth, seed, rounds):
    """Can a supervisor change a round's windows, and is a bad time refused with 422?"""
    tid = _signage_id(app, seed.estate_ids[0])
    auth.login("supervisor")
    url = f"/rounds/{tid}"
    bad = client.post(
        url,
        data={
            "csrf_token": auth.csrf(url),
            "name": "標識檢查",
            "start": ["25:00"],
            "end": ["12:00"],
            "period_days": "1",
            "active": "on",
        },
    )
    assert bad.status_code == 422
    ok = client.post(
        url,
        data={
            "csrf_token": auth.csrf(url),
            "name": "標識檢查",
            "start": ["07:30", "22:00"],
            "end": ["11:30", "02:00"],
            "period_days": "1",
            "active": "on",
        },
    )
    assert ok.status_code == 302
    with app.app_context():
        slots = db.session.get(RoundTemplate, tid).slots
    assert slots == [{"start": "07:30", "end": "11:30"}, {"start": "22:00", "end": "02:00"}]
    body = client.get(
        f"/api/reports/coverage?estate={seed.estate_ids[0]}&date=2099-01-01"
    ).get_json()
    night = [w for w in body["windows"] if w["round"] == tid][1]
    assert (night["start"], night["end"]) == (
        "2099-01-01T22:00:00+08:00",
        "2099-01-02T02:00:00+08:00",
    )


def test_checklist_save_makes_a_new_version(app, client, auth, seed, rounds):
    """Does saving a checklist add a version and keep the old one readable?"""
    tid = _signage_id(app, seed.estate_ids[0])
    auth.login("supervisor")
    url = f"/rounds/{tid}"
    response = client.post(
        f"{url}/checklist",
        data={
            "csrf_token": auth.csrf(url),
            "key": ["state", ""],
            "zh": ["標識狀態", "是否牢固"],
            "en": ["Sign state", "Firmly fixed"],
            "type": ["choice", "yesno"],
            "critical": ["1"],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        versions = db.session.scalars(
            sa.select(ChecklistVersion)
            .where(ChecklistVersion.template_id == tid)
            .order_by(ChecklistVersion.version)
        ).all()
        assert [v.version for v in versions] == [1, 2]
        assert versions[1].items[0]["choices"] == versions[0].items[0]["choices"]
        assert versions[1].items[1] == {
            "key": "q2",
            "type": "yesno",
            "zh": "是否牢固",
            "en": "Firmly fixed",
            "critical": True,
        }
        assert db.session.get(RoundTemplate, tid).checklist_version == 2


def test_renovation_defaults_mark_the_three_major_violations_critical(app, rounds, seed):
    """Are the three major renovation violations critical in the default checklist?"""
    with app.app_context():
        v = db.session.scalar(
            sa.select(ChecklistVersion)
            .join(RoundTemplate, RoundTemplate.id == ChecklistVersion.template_id)
            .where(
                RoundTemplate.kind == "renovation", RoundTemplate.estate_id == seed.estate_ids[0]
            )
        )
        critical = {i["key"] for i in v.items if i.get("critical")}
    assert critical == {"load_bearing", "facade", "waterproof"}


def test_other_estate_round_is_404(app, client, auth, seed, rounds):
    """Is another estate's round 404 for GET and POST?"""
    tid = _signage_id(app, seed.estate_ids[1])
    auth.login("supervisor")
    assert client.get(f"/rounds/{tid}").status_code == 404
    assert (
        client.post(
            f"/rounds/{tid}/checklist", data={"csrf_token": auth.csrf("/rounds/")}
        ).status_code
        == 404
    )


def test_fast_sequence_is_flagged_on_the_grid(app, client, auth, seed, rounds):
    """Are two signs checked three seconds apart by one person flagged on the grid, while a
    repeat scan of one sign within a minute is not?"""
    from datetime import datetime, timedelta

    t0 = datetime.fromisoformat("2025-06-03T09:00:00+08:00")
    with app.app_context():
        add_check(rounds[0], t0)
        add_check(rounds[0], t0 + timedelta(seconds=20))  # same sign: one visit
        db.session.commit()
    auth.login("supervisor")
    url = f"/rounds/coverage?estate={seed.estate_ids[0]}&date=2025-06-03"
    assert "rounds-fast" not in client.get(url).get_data(as_text=True)
    with app.app_context():
        add_check(rounds[1], t0 + timedelta(seconds=23))
        db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "rounds-fast" in html and "3 秒" in html


def test_checklist_editor_keeps_what_a_failed_item_makes(app, client, auth, seed, rounds):
    """The vacant-unit checklist's intrusion item makes a high finding: does the editor show its
    severity and category, and does saving keep them (and set new ones) instead of dropping
    them to the defaults?"""
    with app.app_context():
        tid = db.session.scalar(
            sa.select(RoundTemplate.id).where(
                RoundTemplate.kind == "vacant", RoundTemplate.estate_id == seed.estate_ids[0]
            )
        )
        items = db.session.scalar(
            sa.select(ChecklistVersion.items)
            .where(ChecklistVersion.template_id == tid)
            .order_by(ChecklistVersion.version.desc())
        )
    auth.login("supervisor")
    url = f"/rounds/{tid}"
    page = client.get(url).get_data(as_text=True)
    assert "不合格時嚴重度" in page and '<option value="high" selected>' in page
    # Post the form back as the page shows it, with one item's outcome changed.
    index = {item["key"]: n for n, item in enumerate(items)}
    severity = [item.get("severity", "medium") for item in items]
    category = [item.get("category", "") for item in items]
    severity[index["no_leaks"]], category[index["no_leaks"]] = "low", "滲水"
    response = client.post(
        f"{url}/checklist",
        data={
            "csrf_token": auth.csrf(url),
            "key": [i["key"] for i in items],
            "zh": [i["zh"] for i in items],
            "en": [i["en"] for i in items],
            "type": [i["type"] for i in items],
            "critical": [str(n) for n, i in enumerate(items) if i.get("critical")],
            "required": [str(n) for n, i in enumerate(items) if i.get("required")],
            "severity": severity,
            "category": category,
        },
    )
    assert response.status_code == 302
    with app.app_context():
        saved = {
            i["key"]: i
            for i in db.session.scalar(
                sa.select(ChecklistVersion.items)
                .where(ChecklistVersion.template_id == tid)
                .order_by(ChecklistVersion.version.desc())
            )
        }
    assert saved["no_intrusion"]["severity"] == "high"
    assert (saved["no_leaks"]["severity"], saved["no_leaks"]["category"]) == ("low", "滲水")
    assert "severity" not in saved["no_pests"] and "category" not in saved["no_pests"]
    # A severity the form never offers is refused whole: no new version.
    bad = client.post(
        f"{url}/checklist",
        data={
            "csrf_token": auth.csrf(url),
            "key": ["no_leaks"],
            "zh": ["無滲漏"],
            "en": ["No leaks"],
            "type": ["yesno"],
            "severity": ["catastrophic"],
        },
    )
    assert bad.status_code == 422
    with app.app_context():
        assert db.session.get(RoundTemplate, tid).checklist_version == 2


@pytest.mark.parametrize("period", ["²", "١٢", "0", "61", ""])
def test_a_period_that_is_no_plain_number_is_refused_with_422(app, client, auth, seed, period):
    """Was a period of "²" (isdigit, but no int) a 500 instead of the form with its message?"""
    tid = _signage_id(app, seed.estate_ids[0])
    auth.login("supervisor")
    url = f"/rounds/{tid}"
    data = {"csrf_token": auth.csrf(url), "name": "標識檢查", "period_days": period}
    response = client.post(url, data={**data, "start": ["07:30"], "end": ["11:30"]})
    assert response.status_code == 422
    assert "重複間隔須為 1 至 60 天。" in response.get_data(as_text=True)
