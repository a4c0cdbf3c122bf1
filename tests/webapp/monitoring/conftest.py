"""Monitoring fixtures: the sync phone helpers, and a reader of /metrics."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import make_test_app
from tests.sync.conftest import make_phone, phone  # noqa: F401

TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture
def app(_migrated, database_url, instance_dir):
    """The app with a metrics token set."""
    from tests.conftest import empty_app

    made = make_test_app(database_url, instance_dir, METRICS_TOKEN=TOKEN)
    yield made
    empty_app(made)


def scrape(client) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.status_code
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    """One sample's value, 0 when the series does not exist yet."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
