"""Error fixtures: the sync phone helpers, for pushes with bad input."""

from tests.sync.conftest import make_phone, phone  # noqa: F401
