"""Browser fixtures: the app on a live port, one Chromium for the package, a context per test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from tests.browser import support
from tests.conftest import AuthActions, empty_app, make_test_app
from webapp.demo import DemoOptions, build_demo
from webapp.extensions import db
from webapp.models import LabelCode, Unit


@dataclass
class Label:
    """A unit whose printed label the fake camera shows."""

    code: str
    short_code: str
    unit_label: str


@pytest.fixture(scope="package")
def live_server(_migrated, database_url, instance_dir):
    """The app on the test session's database, seeded with the demo, on a free port."""
    app = make_test_app(
        database_url, instance_dir, RATELIMIT_ENABLED=False, WTF_CSRF_TIME_LIMIT=None
    )
    server = support.LiveServer(app).start()
    with app.app_context():
        build_demo(db.session, DemoOptions(estates=2, units_per_estate=24))
        db.session.commit()
    yield server
    server.stop()
    empty_app(app)


@pytest.fixture(scope="package")
def printed_label(live_server, tmp_path_factory):
    """A unit of the first estate, its label as the app prints it, and that label as a video."""
    app = live_server.app
    with app.app_context():
        unit = db.session.scalars(sa.select(Unit).order_by(Unit.id)).first()
        code = db.session.scalar(
            sa.select(LabelCode).where(
                LabelCode.item_type == "unit", LabelCode.item_id == unit.id, LabelCode.active
            )
        )
        png = support.label_png(code, live_server.url)
        label = Label(code=code.code, short_code=code.short_code, unit_label=unit.label)
    folder = tmp_path_factory.mktemp("camera")
    (folder / "label.png").write_bytes(png)
    video = support.write_y4m(png, folder / "label.y4m")
    return label, video, png


@pytest.fixture(scope="package")
def browser(printed_label):
    """One headless Chromium for the package, its camera showing the printed label."""
    executable = support.chromium_path()
    if executable is None:
        if support.in_ci():
            pytest.fail(support.INSTALL_HINT)
        pytest.skip(support.INSTALL_HINT)
    from playwright.sync_api import sync_playwright

    _label, video, _png = printed_label
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=executable,
        args=support.CHROMIUM_FLAGS + support.fake_camera_flags(video),
    )
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def context(browser, live_server):
    """A fresh browser profile (no service worker yet) at a phone's size, camera allowed."""
    ctx = browser.new_context(
        base_url=live_server.url,
        **support.PHONE,
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A page that fails the test on any Content-Security-Policy violation or page error."""
    page = context.new_page()
    page.problems = problems = support.watch(page)
    yield page
    assert problems == [], problems


@pytest.fixture
def desk_page(browser, live_server):
    """A 1440x900 desktop page that fails the test on any console error (CSP included)."""
    ctx = browser.new_context(
        base_url=live_server.url, viewport={"width": 1440, "height": 900}, locale="zh-TW"
    )
    ctx.set_default_timeout(15_000)
    page = ctx.new_page()
    problems: list[str] = []
    # A 422 answer is logged by Chromium as a failed load; it is the form coming back, not a fault.
    page.on(
        "console",
        lambda m: (
            problems.append(m.text) if m.type == "error" and "status of 422" not in m.text else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    yield page
    ctx.close()
    assert problems == [], problems


def log_in(page, username: str = "patrol") -> None:
    """Log in through the real form."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", AuthActions.PASSWORDS[username])
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))


def log_in_and_pull(page, username: str = "patrol") -> None:
    """The service worker first (navigating away while it installs has left it uninstalled
    now and then on this live server), then the login, the token and the first pull."""
    page.goto("/app")
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=45_000,
    )
    log_in(page, username)
    support.until(page, support.READY)


def wait_for_control(page) -> None:
    """Wait until the service worker is active and controls this page."""
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null"
    )


def pytest_collection_modifyitems(config, items):
    """Let browser tests ignore only the live server's unclosed static files."""
    for item in items:
        if "tests/browser/" in str(item.path):
            for spec in support.LIVE_SERVER_NOISE:
                item.add_marker(pytest.mark.filterwarnings(spec))
