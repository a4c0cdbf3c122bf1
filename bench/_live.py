"""The live app the browser benches share: a throwaway database with a demo estate, the app on
a free port, and one headless Chromium whose fake camera shows the first unit's printed label."""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bench.common import bench_app
from tests.browser import support
from webapp.demo import DemoOptions, build_demo
from webapp.extensions import db
from webapp.models import LabelCode, Unit


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
