"""Fixtures for label tests: the seeded demo's codes and a CLI runner."""

from __future__ import annotations

import pytest


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
