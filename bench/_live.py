"""The live app the browser benches share: a throwaway database with a demo estate, the app on
a free port, and one headless Chromium whose fake camera shows the first unit's printed label."""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bench.common import bench_app
from tests.browser import support
from webapp.demo import DemoOptions, build_demo
from webapp.extensions import db
from webapp.models import LabelCode, Unit


def wait(page, script: str, timeout_s: float = 120):
    """Poll a page script until it answers truthy; TimeoutError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = page.evaluate(script)
        if value:
            return value
        page.wait_for_timeout(100)
    raise TimeoutError(script)


def sign_in(page, url: str) -> None:
    """Log the demo patroller in through the login form; wait until it has let them in."""
    page.goto(url + "/login")
    page.fill("input[name=username]", "patrol")
    page.fill("input[name=password]", "patrol-demo")
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(lambda u: not u.endswith("/login"))


def install_and_sign_in(page, url: str) -> None:
    """The service worker first (it must control /app before the login), then the patroller."""
    page.goto(url + "/app")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=60_000)
    sign_in(page, url)


@dataclass
class Live:
    """What a browser bench measures against."""

    app: object
    url: str
    browser: object  # playwright Browser
    code: str  # the first unit's active label code, shown to the fake camera
    label_png: bytes  # that label, as the app prints it


@contextlib.contextmanager
def live_app(name: str, demo: DemoOptions) -> Iterator[Live | None]:
    """A live server on a demo of ``demo``'s size and a Chromium; None (said on stderr) when
    there is no Chromium, so the bench reports no rows rather than failing."""
    executable = support.chromium_path()
    if executable is None:
        print(f"  {name}: skipped — {support.INSTALL_HINT}", file=sys.stderr)
        yield None
        return
    from playwright.sync_api import sync_playwright

    with bench_app(RATELIMIT_ENABLED=False) as app:
        build_demo(db.session, demo)
        db.session.commit()
        server = support.LiveServer(app).start()
        try:
            unit = db.session.scalars(sa.select(Unit).order_by(Unit.id)).first()
            label = db.session.scalar(
                sa.select(LabelCode).where(
                    LabelCode.item_type == "unit", LabelCode.item_id == unit.id, LabelCode.active
                )
            )
            png = support.label_png(label, server.url)
            code = label.code
            db.session.commit()
            video = support.write_y4m(png, Path(tempfile.mkdtemp()) / "label.y4m")
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=executable,
                    args=support.CHROMIUM_FLAGS + support.fake_camera_flags(video),
                )
                try:
                    yield Live(app=app, url=server.url, browser=browser, code=code, label_png=png)
                finally:
                    browser.close()
        finally:
            server.stop()
