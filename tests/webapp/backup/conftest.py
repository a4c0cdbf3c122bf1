"""Backup fixtures: an app whose blob folder is the test's own, and the sync phone."""

from __future__ import annotations

import pytest

from tests.conftest import empty_app, make_test_app
from tests.sync.conftest import make_phone, phone  # noqa: F401


@pytest.fixture
def app(_migrated, database_url, instance_dir, tmp_path):
    """The app on the session's database, with a blob folder of this test's own."""
    made = make_test_app(database_url, instance_dir, BLOB_DIR=str(tmp_path / "blobs"))
    yield made
    empty_app(made)
