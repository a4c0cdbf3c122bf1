"""API fixtures: reuse the sync phone helpers."""

from tests.sync.conftest import make_phone, phone  # noqa: F401
