"""PWA rows, measured in headless Chromium against a live server on 127.0.0.1.

- gzip bytes of a first visit's critical path (HTML, CSS, JS the page loads before it is
  usable; the service worker's background precache is not on it), target <= 100 KB;
- gzip bytes of the patrol shell's JS without the lazily loaded scanner, target <= 30 KB;
- decode time per frame of a printed label (640x480, as the scanner scales frames), in
  Chromium's zxing-wasm, against zxing-cpp in Python on the same frame;
- time from a decoded code (fake camera showing a printed label) to the item page shown.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from bench._live import live_app, sign_in
from bench.common import Row
from tests.browser import support
from webapp.demo import DemoOptions

FRAMES = 40
SCANS = 5
LAZY = ("scanner", "zxing")  # chunks only the opened scanner loads


def _gz(body: bytes) -> int:
    return len(gzip.compress(body, 9))


def _first_visit(browser, url: str, path: str) -> list[tuple[str, bytes]]:
    """What a fresh profile downloads to show ``path`` (page requests only, not the SW's)."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    got: list[tuple[str, bytes]] = []

    def keep(response):
        if response.request.method == "GET" and response.status == 200:
            # A body the page no longer holds (a redirect) is not on the path.
            with contextlib.suppress(Exception):
                got.append((response.url, response.body()))

    page.on("response", keep)
    page.goto(url + path, wait_until="load")
    page.wait_for_timeout(300)
    ctx.close()
    return [(u, b) for u, b in got if not u.endswith((".png", ".ico", "manifest.webmanifest"))]


def _frame_png(label_png: bytes) -> bytes:
    """The label as the camera frame the tests feed Chromium (640x480, label centred)."""
    tmp = Path(tempfile.mkdtemp()) / "f.y4m"
    support.write_y4m(label_png, tmp, frames=1)
    raw = tmp.read_bytes()
    header, _, rest = raw.partition(b"\n")
    y = rest[len(b"FRAME\n") : len(b"FRAME\n") + 640 * 480]
    out = io.BytesIO()
    Image.frombytes("L", (640, 480), y).save(out, "PNG")
    return out.getvalue()


def _decode_ms(browser, url: str, frame: bytes) -> tuple[float, str, int]:
    """Median ms per detect() of one frame in Chromium, which detector, frames decoded."""
    ctx = browser.new_context()
    ctx.route(
        "**/bench-frame.png",
        lambda route: route.fulfill(body=frame, content_type="image/png"),
    )
    page = ctx.new_page()
    page.goto(url + "/app")
    result = page.evaluate(
        """async (n) => {
            const { getDetector, decodeImage } = await import("/static/build/scanner.js");
            const img = new Image();
            img.src = "/bench-frame.png";
            await img.decode();
            const canvas = document.createElement("canvas");
            canvas.width = img.width; canvas.height = img.height;
            canvas.getContext("2d").drawImage(img, 0, 0);
            const { kind } = await getDetector();
            await decodeImage(canvas);  // warm up: the wasm is compiled on first use
            const times = []; let ok = 0;
            for (let i = 0; i < n; i++) {
              const t = performance.now();
              const texts = await decodeImage(canvas);
              times.push(performance.now() - t);
              if (texts.length) ok++;
            }
            times.sort((a, b) => a - b);
            return { ms: times[Math.floor(n / 2)], kind, ok };
        }""",
        FRAMES,
    )
    ctx.close()
    return result["ms"], result["kind"], result["ok"]


def _zxing_cpp_ms(frame: bytes) -> float | None:
    try:
        import zxingcpp
    except ImportError:
        return None
    image = Image.open(io.BytesIO(frame))
    zxingcpp.read_barcodes(image)
    times = []
    for _ in range(FRAMES):
        started = time.perf_counter()
        zxingcpp.read_barcodes(image)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _scan_to_item_ms(browser, url: str, code: str) -> tuple[float, int]:
    """Median ms from the scanner's decode to the item page's DOMContentLoaded."""
    ctx = browser.new_context(permissions=["camera"], viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    sign_in(page, url)
    times, status = [], 0
    for _ in range(SCANS):
        page.goto(url + "/scan")
        with page.expect_navigation(url=f"**/q/{code}", timeout=30_000) as nav:
            pass
        status = nav.value.status if nav.value else 0
        times.append(
            page.evaluate(
                """() => {
                    const nav = performance.getEntriesByType("navigation")[0];
                    const opened = Number(sessionStorage.getItem("rounds.openedAt"));
                    return performance.timeOrigin + nav.domContentLoadedEventEnd - opened;
                }"""
            )
        )
    ctx.close()
    return statistics.median(times), status


def rows() -> list[Row]:
    with live_app("bench_pwa", DemoOptions(estates=1, units_per_estate=24)) as live:
        if live is None:
            return []
        out = _size_rows(live.browser, live.url)
        out += _decode_rows(live.browser, live.url, _frame_png(live.label_png))
        ms, status = _scan_to_item_ms(live.browser, live.url, live.code)
        out.append(
            Row(
                f"decoded code -> item page shown (HTTP {status}), median of {SCANS}",
                ms,
                "ms",
                target="< 1000 ms",
                met=ms < 1000,
            )
        )
        return out


def _size_rows(browser, url: str) -> list[Row]:
    rows_ = []
    for path, name in (("/login", "login page"), ("/app", "patrol shell /app")):
        files = _first_visit(browser, url, path)
        raw = sum(len(b) for _, b in files)
        gz = sum(_gz(b) for _, b in files)
        rows_.append(
            Row(
                f"first visit to {name}: critical path gzip ({len(files)} files)",
                gz / 1024,
                "KB",
                "uncompressed",
                raw / 1024,
                target="<= 100 KB",
                met=gz <= 100 * 1024,
            )
        )
        if path == "/app":
            js = [(u, b) for u, b in files if u.endswith(".js")]
            lazy = [u for u, _ in js if any(word in u for word in LAZY)]
            shell_gz = sum(_gz(b) for u, b in js if u not in lazy)
            rows_.append(
                Row(
                    f"patrol shell JS without the scanner, gzip ({len(js) - len(lazy)} files)",
                    shell_gz / 1024,
                    "KB",
                    "uncompressed",
                    sum(len(b) for u, b in js if u not in lazy) / 1024,
                    target="<= 30 KB",
                    met=shell_gz <= 30 * 1024 and not lazy,
                )
            )
    return rows_


def _decode_rows(browser, url: str, frame: bytes) -> list[Row]:
    ms, kind, ok = _decode_ms(browser, url, frame)
    native = _zxing_cpp_ms(frame)
    return [
        Row(
            f"decode one 640x480 frame of a printed label in Chromium ({kind}, {ok}/{FRAMES} read)",
            ms,
            "ms",
            "zxing-cpp (Python, native)" if native is not None else "",
            native,
            target="< 100 ms and every frame read",
            met=ms < 100 and ok == FRAMES,
        )
    ]
