"""What the browser tests and bench/bench_pwa.py share: Chromium, a live server, label video."""

from __future__ import annotations

import io
import os
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from PIL import Image
from werkzeug.serving import make_server

from webapp.extensions import db
from webapp.jobs import engine as jobs_engine
from webapp.models import Building, Estate, Key, LabelCode, Unit, User
from webapp.models.rounds import RoundTemplate
from webapp.models.sync import KeyEvent
from webapp.rounds.service import new_round

# Debian's Chromium (no browser is downloaded), launched headless with these flags.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    "The browser tests need Debian's Chromium: apt-get install -y chromium "
    "(as root; `make test` does it when run as root)."
)


def first_estate_units(app, count: int, skip: int = 0, last: bool = False) -> list[dict]:
    """Units of the first estate with their active codes (`last`: from the end of the list)."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Unit, LabelCode)
            .join(
                LabelCode,
                sa.and_(
                    LabelCode.item_type == "unit", LabelCode.item_id == Unit.id, LabelCode.active
                ),
            )
            .where(Unit.estate_id == sa.select(sa.func.min(Unit.estate_id)).scalar_subquery())
            .order_by(Unit.id.desc() if last else Unit.id)
            .offset(skip)
            .limit(count)
        ).all()
        return [{"code": c.code, "short": c.short_code, "label": u.label} for u, c in rows]


def first_estate_key_codes(key_class: str, fresh: bool = True) -> sa.Select:
    """(Key, its active LabelCode) of a class of the first estate; `fresh`: in the cabinet
    with no events. Unordered: callers take from either end."""
    return (
        sa.select(Key, LabelCode)
        .join(
            LabelCode,
            sa.and_(LabelCode.item_type == "key", LabelCode.item_id == Key.id, LabelCode.active),
        )
        .where(
            Key.key_class == key_class,
            Key.estate_id == sa.select(sa.func.min(Key.estate_id)).scalar_subquery(),
            *((Key.status == "in", ~sa.exists().where(KeyEvent.key_id == Key.id)) if fresh else ()),
        )
    )


def first_estate_keys(app, key_class: str, n: int, skip: int = 0, fresh: bool = True) -> list[dict]:
    """Keys of a class of the first estate with their active codes, from the end of the list
    (test_keys' key_tag takes the first one); `fresh`: in the cabinet with no events."""
    with app.app_context():
        rows = db.session.execute(
            first_estate_key_codes(key_class, fresh).order_by(Key.id.desc()).offset(skip).limit(n)
        ).all()
        return [
            {"id": k.id, "code": c.code, "short": c.short_code, "label": k.label} for k, c in rows
        ]


def noon_zone(now: datetime) -> str:
    """A zone where it is about noon now, so today's whole-day window stays open all test."""
    offset = 12 - now.hour  # Etc/GMT signs are inverted: Etc/GMT-8 is UTC+8
    offset = max(-12, min(14, offset))
    return "Etc/UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def add_estate(name: str, timezone: str, building: str, floors: int) -> tuple[Estate, Building]:
    """An estate in `timezone` (`name` and a fresh suffix) and one building of it, flushed."""
    estate = Estate(name=f"{name} {uuid.uuid4().hex[:6]}", timezone=timezone)
    db.session.add(estate)
    db.session.flush()
    block = Building(estate_id=estate.id, name=building, sort_key=1, floors=floors)
    db.session.add(block)
    db.session.flush()
    return estate, block


def add_round(estate, *, kind: str, name: str, slots: list[dict], anchor) -> RoundTemplate:
    """A daily round of `kind` on `estate` with the default checklist as its version 1."""
    return new_round(db.session, estate, kind, name, slots, anchor)


def add_patroller(estate, username: str, password: str, display_name: str) -> User:
    """A patroller of `estate` who logs in with `username` / `password`."""
    user = User(username=username, display_name=display_name, role="patroller")
    user.set_password(password)
    user.estates.append(estate)
    db.session.add(user)
    return user


def log_in(page, username: str, password: str) -> None:
    """Log in through the login page and wait to leave it."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(lambda url: not url.endswith("/login"))


def go_offline(context) -> None:
    """No network at all from here: the context offline, and every request aborted too."""
    context.set_offline(True)
    context.route("**/*", lambda route: route.abort())


def log_in_then_go_offline(page, context, username: str, password: str) -> None:
    """A phone online once (service worker, login, token, first pull), then no network."""
    page.goto("/app/rounds")
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null",
        timeout=45_000,
    )
    log_in(page, username, password)
    until(page, READY)
    go_offline(context)


# The live server is werkzeug's development server. When a client aborts a request mid-body
# (the offline tests cut every request; the service worker cancels precache fetches; the
# WebKit relay cut), that server can leave the static file it was sending unclosed, which
# Python reports later as a ResourceWarning in whatever test is running. Production serves
# through gunicorn. The browser and WebKit tests ignore only these.
LIVE_SERVER_NOISE = (
    "ignore:unclosed file <_io.BufferedReader name='.*/static/:ResourceWarning",
    "ignore:Exception ignored in. <_io.FileIO name='.*/static/:"
    "pytest.PytestUnraisableExceptionWarning",
)


# A mid-range phone: the browser-context settings every phone test uses.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "permissions": ["camera"],
    "locale": "zh-TW",
}


def watch(page) -> list[str]:
    """Collect the page's Content-Security-Policy violations and errors (a test asserts none)."""
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    return problems


def chromium_path() -> str | None:
    """Where Chromium is, if it is installed."""
    return shutil.which("chromium")


def fake_camera_flags(video: Path) -> list[str]:
    """Flags that feed getUserMedia from a .y4m file and accept the camera prompt."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video.resolve()}",
    ]


def write_y4m(png: bytes, path: Path, size: tuple[int, int] = (640, 480), frames: int = 4) -> Path:
    """Write a .y4m video that shows a picture (a printed label) filling most of the frame.

    A .y4m is a text header and raw YUV 4:2:0 frames; Chromium loops it as a camera.
    """
    width, height = size
    picture = Image.open(io.BytesIO(png)).convert("L")
    picture.thumbnail((int(width * 0.9), int(height * 0.9)), Image.Resampling.LANCZOS)
    frame = Image.new("L", size, 235)  # a slightly grey desk under the label
    frame.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    ycbcr = frame.convert("RGB").convert("YCbCr")
    y, cb, cr = ycbcr.split()
    half = (width // 2, height // 2)
    body = (
        y.tobytes()
        + cb.resize(half, Image.Resampling.BILINEAR).tobytes()
        + cr.resize(half, Image.Resampling.BILINEAR).tobytes()
    )
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + (b"FRAME\n" + body) * frames)
    return path


def label_png(code, base_url: str) -> bytes:
    """One label as the app prints it (webapp/labels), for a fake camera or a photo."""
    try:
        from webapp.labels.printing import render_label_png
    except ImportError:  # before the label printer existed: the same URL in a bare QR
        return qr_png(f"{base_url.rstrip('/')}/q/{code.code}")
    return render_label_png(code, base_url=base_url)


def qr_png(text: str, box: int = 8) -> bytes:
    """A plain QR code of any text: what a foreign label looks like."""
    import qrcode

    image = qrcode.make(text, box_size=box, border=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass
class LiveServer:
    """The app served on a free 127.0.0.1 port from a thread."""

    app: object
    url: str = ""
    _server: object = None
    _thread: threading.Thread | None = None
    _jobs: object = None
    facts: dict = field(default_factory=dict)

    def start(self) -> LiveServer:
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # The app's QR codes must carry this server's address to be recognised as ours.
        self.app.config["PUBLIC_BASE_URL"] = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        # The job worker `make run` starts beside the server, here as threads (label sheets).
        self._jobs = jobs_engine.get(self.app).consumer(threads=1, in_process=True)
        self._jobs.start()
        return self

    def stop(self) -> None:
        if self._jobs is not None:
            self._jobs.stop(graceful=True)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def in_ci() -> bool:
    """Whether this run is CI, where a missing browser is a failure, not a skip."""
    return bool(os.environ.get("CI"))


def screenshot_dir() -> Path | None:
    """Where to save screenshots for a person to look at (ROUNDS_SCREENSHOTS), if anywhere."""
    target = os.environ.get("ROUNDS_SCREENSHOTS")
    if not target:
        return None
    path = Path(target)
    path.mkdir(parents=True, exist_ok=True)
    return path


# What a phone page's own modules say, polled by until(): one copy for every browser test.
READY = """async () => {
  const s = await (await import('/static/build/sync.js')).status();
  return s.hasToken && s.items > 0 && !s.firstPull && !s.syncing;
}"""
OUTBOX = "async () => (await import('/static/build/store.js')).outboxEntries()"
SENT = "async () => (await (await import('/static/build/sync.js')).status()).pending === 0"
HAS_TOKEN = "async () => (await (await import('/static/build/sync.js')).status()).hasToken"
IDLE = "async () => !(await (await import('/static/build/sync.js')).status()).syncing"
SYNC = "async () => (await import('/static/build/sync.js')).sync()"
# Every entry this phone made about a code: waiting (outbox) and settled or taken back (journal).
OWN = """async (code) => {
  const store = await import('/static/build/store.js');
  const [outbox, journal] = await Promise.all([store.outboxFor(code), store.journalFor(code)]);
  return [...outbox.map((e) => ({...e, where: 'outbox'})),
          ...journal.map((e) => ({...e, where: 'journal'}))];
}"""


def until(page, script: str, timeout_s: float = 45, arg=None):
    """Poll an async page script until it answers truthy (wait_for_function awaits no promise)."""
    for _ in range(int(timeout_s * 10)):
        value = page.evaluate(script, arg)
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"never true: {script}")
