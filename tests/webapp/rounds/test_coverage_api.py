"""GET /api/reports/coverage: shape, statuses, scoping and bad input, as reports rely on them."""

from __future__ import annotations

from datetime import datetime

from tests.webapp.rounds.conftest import add_check
from webapp.extensions import db

DAY = "2025-06-03"  # well before the demo's history


def t(hm: str) -> datetime:
    return datetime.fromisoformat(f"{DAY}T{hm}:00+08:00")


def _signage(body):
    return [w for w in body["windows"] if w["kind"] == "signage"]


def test_coverage_shape_and_statuses(app, client, auth, seed, rounds):
    """Does the report give each signage window's counts and each checkpoint's status?"""
    a, b, c, d = rounds[:4]
    with app.app_context():
        add_check(a, t("09:00"))  # done in the morning
        add_check(b, t("12:30"))  # late for the morning window
        add_check(c, t("09:10"), "no_access")  # no access only
        # made on time, synced hours later -> done
        add_check(d, t("15:00"), received=datetime.fromisoformat(f"{DAY}T23:00:00+08:00"))
        db.session.commit()
    auth.login("supervisor")
    response = client.get(f"/api/reports/coverage?estate={seed.estate_ids[0]}&date={DAY}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["estate"] == seed.estate_ids[0] and body["date"] == DAY
    morning, afternoon = _signage(body)
    assert (morning["start"], morning["end"]) == (
        f"{DAY}T08:00:00+08:00",
        f"{DAY}T12:00:00+08:00",
    )
    assert set(morning) == {
        "round",
        "name",
        "kind",
        "start",
        "end",
        "expected",
        "done",
        "late",
        "missed",
        "no_access",
        "checkpoints",
    }
    assert morning["expected"] == len(rounds)
    status = {cp["code"]: cp["status"] for cp in morning["checkpoints"]}
    statuses = list(status.values())
    assert (morning["done"], morning["late"], morning["no_access"]) == (1, 1, 1)
    assert morning["missed"] == len(rounds) - 3
    assert statuses.count("done") == 1
    assert afternoon["done"] == 1 and afternoon["missed"] == len(rounds) - 1
    assert all(set(cp) == {"code", "label", "status"} for cp in morning["checkpoints"])


def test_flagged_clock_counts_at_receipt(app, client, auth, seed, rounds):
    """Does a check whose clock is flagged count in the window of its receipt time?"""
    with app.app_context():
        add_check(rounds[0], t("09:00"), received=t("15:00"), skewed=True)
        db.session.commit()
    auth.login("supervisor")
    body = client.get(f"/api/reports/coverage?estate={seed.estate_ids[0]}&date={DAY}").get_json()
    morning, afternoon = _signage(body)
    assert morning["done"] == 0 and afternoon["done"] == 1


def test_future_day_is_pending(client, auth, seed, rounds):
    """Are the checkpoints of a day not yet begun all pending?"""
    auth.login("supervisor")
    body = client.get(
        f"/api/reports/coverage?estate={seed.estate_ids[0]}&date=2099-01-01"
    ).get_json()
    for w in _signage(body):
        assert {cp["status"] for cp in w["checkpoints"]} == {"pending"}


def test_another_estate_is_404_and_bad_date_422(client, auth, seed, rounds):
    """Is another estate's coverage 404 (before the date is looked at), and a bad date 422?"""
    auth.login("supervisor")  # works on the first estate only
    other = seed.estate_ids[1]
    assert client.get(f"/api/reports/coverage?estate={other}&date={DAY}").status_code == 404
    assert client.get(f"/api/reports/coverage?estate={other}&date=nope").status_code == 404
    assert client.get("/api/reports/coverage?estate=999999&date=2025-01-01").status_code == 404
    bad = client.get(f"/api/reports/coverage?estate={seed.estate_ids[0]}&date=2025-13-01")
    assert bad.status_code == 422
    assert bad.get_json()["error"] == "validation"


def test_window_keeps_the_checkpoints_it_opened_with(app, client, auth, seed, rounds):
    """Once a window has opened, does a sign retired later stay among its checkpoints?"""
    from webapp.models import Sign

    auth.login("supervisor")
    url = f"/api/reports/coverage?estate={seed.estate_ids[0]}&date={DAY}"
    before = _signage(client.get(url).get_json())[0]["expected"]
    with app.app_context():
        db.session.get(Sign, rounds[0]).active = False
        db.session.commit()
    assert _signage(client.get(url).get_json())[0]["expected"] == before
    future = _signage(
        client.get(f"/api/reports/coverage?estate={seed.estate_ids[0]}&date=2099-01-01").get_json()
    )[0]
    assert future["expected"] == before - 1


def test_documented_in_openapi(client):
    """Is the coverage route in the OpenAPI document?"""
    assert "/api/reports/coverage" in client.get("/api/openapi.json").get_json()["paths"]
