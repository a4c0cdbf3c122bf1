"""The record page's tests share the paper area's walked checks (tests/webapp/paper)."""

from tests.webapp.paper.conftest import walked  # noqa: F401
