"""Lighthouse accessibility of every patrol page (npm `lighthouse`, pinned in package.json),
run against a live server in Debian's Chromium, in the profile of a patroller's phone that has
logged in and synced (the pages show its data; the session cookie is handed over as a header).
Baseline: the login page, in the same run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._live import install_and_sign_in, live_app
from bench.common import Row
from tests.browser import support
from tests.browser.support import READY
from webapp.demo import DemoOptions

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
GOAL = 0.95


# Flask-Login's "strong" session protection ties the session to the user agent: Lighthouse
# sends the same one as the browser that logged in.
USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36 RoundsBench"
)


def _phone_profile(browser, url: str, profile: Path) -> str:
    """A Chromium profile of a patroller's phone, logged in and synced (so the patrol pages show
    the phone's data, not their empty state); the session cookie as a header."""
    ctx = browser.browser_type.launch_persistent_context(
        str(profile),
        executable_path=support.chromium_path(),
        args=support.CHROMIUM_FLAGS,
        user_agent=USER_AGENT,
        viewport={"width": 390, "height": 844},
    )
    page = ctx.new_page()
    install_and_sign_in(page, url)
    for _ in range(600):
        if page.evaluate(READY):
            break
        page.wait_for_timeout(100)
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in ctx.cookies())
    ctx.close()
    return cookies


def lighthouse(
    url: str, cookie: str | None = None, profile: Path | None = None
) -> tuple[float, list[str]]:
    """The accessibility score of one page and the audits it failed (in ``profile``, its
    storage kept, when given)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [
            str(LIGHTHOUSE),
            url,
            "--only-categories=accessibility",
            "--output=json",
            f"--output-path={out}",
            "--quiet",
            "--form-factor=mobile",
            "--screenEmulation.mobile",
            f"--emulatedUserAgent={USER_AGENT}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu"
            + (f" --user-data-dir={profile}" if profile else ""),
        ]
        if profile:
            cmd.append("--disable-storage-reset")
        if cookie:
            cmd.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
        env = {**os.environ, "CHROME_PATH": support.chromium_path() or ""}
        subprocess.run(cmd, env=env, check=True, timeout=240, capture_output=True)
        report = json.loads(out.read_text())
    final = report.get("finalDisplayedUrl") or report.get("finalUrl") or ""
    if cookie and "/login" in final:
        raise RuntimeError(f"Lighthouse was sent to the login page from {url}")
    failed = [
        key
        for key, audit in report["audits"].items()
        if audit.get("scoreDisplayMode") == "binary" and audit.get("score") == 0
    ]
    return report["categories"]["accessibility"]["score"], failed


def rows() -> list[Row]:
    if not LIGHTHOUSE.exists():
        print("  a11y: skipped — run `make build` (npm lighthouse)", file=sys.stderr)
        return []
    demo = DemoOptions(estates=1, units_per_estate=20, days=1)
    with live_app("bench_a11y", demo) as live:
        if live is None:
            return []
        profile = Path(tempfile.mkdtemp(prefix="bench-a11y-"))
        cookie = _phone_profile(live.browser, live.url, profile)
        base, base_failed = lighthouse(live.url + "/login")
        pages = ["/app", "/scan", "/app/rounds", "/app/keys", f"/q/{live.code}"]
        out = []
        for path in pages:
            score, failed = lighthouse(live.url + path, cookie, profile)
            name = "item page /q/<code>" if path.startswith("/q/") else path
            if failed:
                print(f"  a11y {name}: failed {', '.join(failed)}", file=sys.stderr)
            out.append(
                Row(
                    f"Lighthouse accessibility of {name} (patroller, 390-wide phone)",
                    score,
                    "score",
                    "the login page",
                    base,
                    target=f">= {GOAL}",
                    met=score >= GOAL,
                )
            )
        if base_failed:
            print(f"  a11y /login: failed {', '.join(base_failed)}", file=sys.stderr)
        return out
