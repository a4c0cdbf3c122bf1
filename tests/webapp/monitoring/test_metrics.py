"""/metrics: who may scrape it, and what it counts (requests, sync, queues)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from tests.conftest import make_test_app
from tests.sync.conftest import check_op, codes_of
from tests.webapp.monitoring.conftest import TOKEN, scrape, value
from webapp.monitoring import metrics


def test_metrics_are_not_served_without_a_token(database_url, instance_dir, _migrated):
    """With no METRICS_TOKEN set, is /metrics a 404, whatever is sent?"""
    client = make_test_app(database_url, instance_dir, METRICS_TOKEN=None).test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer x"}).status_code == 404


def test_metrics_need_the_bearer_token(client):
    """Is /metrics refused (401) without the token, with a wrong one or another scheme?"""
    assert client.get("/metrics").status_code == 401
    wrong = {"Authorization": f"Bearer {TOKEN[:-1]}X"}
    assert client.get("/metrics", headers=wrong).status_code == 401
    basic = {"Authorization": f"Basic {TOKEN}"}
    assert client.get("/metrics", headers=basic).status_code == 401
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    assert response.headers["Cache-Control"] == "no-store"


def test_a_too_short_token_is_refused_at_start():
    """Does a METRICS_TOKEN shorter than 16 characters stop the app from starting?"""
    import pytest

    from webapp.config import ConfigError, from_env

    with pytest.raises(ConfigError, match="METRICS_TOKEN"):
        from_env({"METRICS_TOKEN": "short", "SECRET_KEY": "x" * 40})


def test_requests_are_counted_by_route_not_by_path(client, seed):
    """Are requests labelled with the URL rule (one series for every photo address), their
    status and a latency histogram, and is an unknown path one `unmatched` series?"""
    before = scrape(client)
    shas = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(3)]
    for sha in shas:
        assert client.get(f"/api/blobs/{sha}").status_code == 401
    client.get(f"/no/such/{'x' * 40}")
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    route = "/api/blobs/<sha256>"
    assert delta("rounds_http_requests_total", method="GET", route=route, status="401") == 3
    assert delta("rounds_http_request_duration_seconds_count", method="GET", route=route) == 3
    assert delta("rounds_http_requests_total", method="GET", route="unmatched", status="404") == 1
    # No path reached a label.
    labels = " ".join(str(key[1]) for key in after)
    assert not any(sha in labels for sha in shas) and "x" * 40 not in labels


def test_an_odd_method_is_one_series(client):
    """Is a request with a made-up method counted as `other`, not under its own name?"""
    client.open("/healthz", method="BREW")
    samples = scrape(client)
    assert not [key for key in samples if "BREW" in str(key)]
    assert any(("method", "other") in key[1] for key in samples)


def test_push_ops_are_counted_by_status_with_their_lag_per_estate(app, client, phone, seed):
    """Does a push count its ops as applied, duplicate and rejected, and observe the lag
    (received − occurred) of the ops it stored under their estate?"""
    estate = seed.estate_ids[0]
    code = codes_of(app, estate, "unit", 1)[0]
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    op = check_op(code, at=an_hour_ago)
    before = scrape(client)
    response = phone.push([op, op, check_op("NO-SUCH-CODE")])
    assert [r["status"] for r in response.get_json()["results"]] == [
        "applied",
        "duplicate",
        "rejected",
    ]
    response = phone.push([op])  # sent again: a duplicate
    assert response.get_json()["results"][0]["status"] == "duplicate"
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("rounds_sync_push_ops_total", status="applied") == 1
    assert delta("rounds_sync_push_ops_total", status="duplicate") == 2
    assert delta("rounds_sync_push_ops_total", status="rejected") == 1
    assert delta("rounds_sync_lag_seconds_count", estate=str(estate)) == 1
    lag = delta("rounds_sync_lag_seconds_sum", estate=str(estate))
    assert 3600 <= lag < 3600 + 600, lag
    # In the bucket up to 4 hours, not in the one up to 15 minutes.
    assert delta("rounds_sync_lag_seconds_bucket", estate=str(estate), le="14400.0") == 1
    assert delta("rounds_sync_lag_seconds_bucket", estate=str(estate), le="900.0") == 0


def test_pull_bytes_are_counted(client, phone, seed):
    """Does each pull page add its JSON's size to the pull bytes?"""
    before = value(scrape(client), "rounds_sync_pull_bytes_total")
    response = phone.pull(limit=50)
    assert response.status_code == 200
    size = len(response.get_data())
    assert size > 1000
    assert value(scrape(client), "rounds_sync_pull_bytes_total") - before == size


def test_queue_depth_sources_are_read_at_scrape_time(app, client):
    """Does a registered queue appear with the depth its source gives at each scrape, and does
    a broken source leave the others and the scrape standing?"""
    depth = {"n": 7}
    metrics.add_queue_depth(app, "labels", lambda: depth["n"])

    def broken():
        raise RuntimeError("queue store down")

    metrics.add_queue_depth(app, "reports", broken)
    assert value(scrape(client), "rounds_queue_depth", queue="labels") == 7
    depth["n"] = 2
    samples = scrape(client)
    assert value(samples, "rounds_queue_depth", queue="labels") == 2
    assert ("rounds_queue_depth", (("queue", "reports"),)) not in samples


def test_pending_ops_are_what_phones_reported(client, phone, make_phone, seed):
    """Is the pending-ops gauge the sum of what unrevoked phones said they still hold?"""
    assert phone.push([check_op("NO-SUCH-CODE")], pending=5).status_code == 200
    other = make_phone("patrol", "second")
    assert other.push([check_op("NO-SUCH-CODE")], pending=3).status_code == 200
    assert value(scrape(client), "rounds_sync_pending_ops") == 8


def test_a_scrape_speaks_openmetrics_when_asked(client):
    """Does a scraper that asks for OpenMetrics get it (the exporter's own negotiation)?"""
    response = client.get(
        "/metrics",
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Accept": "application/openmetrics-text; version=1.0.0",
        },
    )
    assert response.content_type.startswith("application/openmetrics-text")
    assert response.get_data(as_text=True).rstrip().endswith("# EOF")


def _plain_error(response, status: int) -> str:
    """A scraper's answer: plain text whatever went wrong, never the HTML page."""
    assert response.status_code == status, response.get_data(as_text=True)[:200]
    assert response.mimetype == "text/plain", response.get_data(as_text=True)[:200]
    return response.get_data(as_text=True)


def test_metrics_errors_are_plain_text_as_a_scraper_reads(
    app, client, database_url, instance_dir, monkeypatch
):
    """Are /metrics' errors plain text (Prometheus reads text, and shows the body of a failed
    scrape): not configured (404), a method it does not answer (405, with Allow), a fault
    (500, no exception text)?"""
    unset = make_test_app(database_url, instance_dir, METRICS_TOKEN=None).test_client()
    _plain_error(unset.get("/metrics", headers={"Accept": "text/html"}), 404)
    response = client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    _plain_error(response, 405)
    assert "GET" in response.headers["Allow"]

    def broken(_accept):
        raise RuntimeError("collector failed: secret-detail")

    monkeypatch.setattr(metrics, "exposition", broken)
    text = _plain_error(client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}), 500)
    assert "secret-detail" not in text
