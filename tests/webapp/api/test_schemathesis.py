"""schemathesis against /api/openapi.json: whatever it sends, no route answers 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.sync.conftest import issue_device


def test_openapi_document_describes_every_api_route(app, client):
    """Does /api/openapi.json name every /api route of the app?"""
    doc = client.get("/api/openapi.json").get_json()
    documented = {p.replace("{sha256}", "<sha256>") for p in doc["paths"]}
    routes = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/")}
    assert routes <= documented, routes - documented
    assert doc["openapi"].startswith("3.")


def test_no_generated_request_gets_a_5xx(app, seed):
    """Do schemathesis' generated requests (valid and not) to every operation avoid 5xx?"""
    _device_id, token = issue_device(app, "patrol")
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    for operation in operations:
        if operation.method.upper() == "DELETE":
            continue  # revoking our own token would turn every later call into a 401

        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append((case.method, case.formatted_path, response.status_code))
            case.validate_response(response, checks=[not_a_server_error])

        run()
    assert failures == []
