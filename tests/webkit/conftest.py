"""WebKit fixtures: the app on a live port behind a relay a test can cut, one Xvfb display for
the package, and a phone (our WebKitGTK browser driven by WebKitWebDriver) per test."""

from __future__ import annotations

import pytest

from tests.browser import support
from tests.conftest import empty_app, make_test_app
from tests.webkit import harness
from webapp.demo import DemoOptions, build_demo
from webapp.extensions import db


@pytest.fixture(scope="package")
def webkit_ready():
    """The harness's tools: a failure in CI when one is missing, a skip elsewhere."""
    lacking = harness.missing()
    if lacking:
        message = f"{lacking}. {harness.INSTALL_HINT}"
        if support.in_ci():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="package")
def display(webkit_ready):
    xvfb = harness.Xvfb().start()
    yield xvfb.display
    xvfb.stop()


@pytest.fixture(scope="package")
def live_server(webkit_ready, _migrated, database_url, instance_dir):
    """The app seeded with the demo on a free port, reached through a relay (`.relay`)."""
    app = make_test_app(
        database_url, instance_dir, RATELIMIT_ENABLED=False, WTF_CSRF_TIME_LIMIT=None
    )
    server = support.LiveServer(app).start()
    relay = harness.Relay(upstream=int(server.url.rsplit(":", 1)[1])).start()
    server.relay = relay
    # The phone knows the app by the relay's address: its printed codes carry that one.
    server.url = relay.url
    app.config["PUBLIC_BASE_URL"] = relay.url
    with app.app_context():
        build_demo(db.session, DemoOptions(estates=2, units_per_estate=24))
        db.session.commit()
    yield server
    relay.stop()
    server.stop()
    empty_app(app)


@pytest.fixture
def relay(live_server):
    """The network between phone and server; always whole again after the test."""
    yield live_server.relay
    if live_server.relay.is_cut:
        live_server.relay.restore()


@pytest.fixture
def phone(live_server, display, tmp_path, relay):
    """A phone with a fresh persistent profile; `phone.restart()` keeps the profile."""
    device = harness.Phone(live_server.url, tmp_path / "profile", display).launch()
    yield device
    device.quit()
    problems = [line for line in device.console_lines() if "Content Security Policy" in line]
    assert problems == [], problems


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/webkit/" in str(item.path):
            item.add_marker(pytest.mark.webkit)
            for spec in support.LIVE_SERVER_NOISE:
                item.add_marker(pytest.mark.filterwarnings(spec))
