"""Key register fixtures: the sync helpers reused (phones, op builders)."""

from tests.sync.conftest import make_phone, phone  # noqa: F401
