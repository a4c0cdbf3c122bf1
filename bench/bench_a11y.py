"""Lighthouse accessibility of every patrol page (npm `lighthouse`, pinned in package.json),
run against a live server in Debian's Chromium, the patroller logged in (the session cookie is
handed to Lighthouse as a header). Baseline: the login page, in the same run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._live import live_app
from bench.common import Row
from tests.browser import support
from webapp.demo import DemoOptions

ROOT = Path(__file__).resolve().parents[1]
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
GOAL = 0.95


def _cookie_header(browser, url: str) -> str:
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(url + "/login")
    page.fill("input[name=username]", "patrol")
    page.fill("input[name=password]", "patrol-demo")
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(lambda u: not u.endswith("/login"))
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in ctx.cookies())
    ctx.close()
    return cookies


def lighthouse(url: str, cookie: str | None = None) -> tuple[float, list[str]]:
    """The accessibility score of one page and the audits it failed."""
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
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ]
        if cookie:
            cmd.append("--extra-headers=" + json.dumps({"Cookie": cookie}))
        env = {**os.environ, "CHROME_PATH": support.chromium_path() or ""}
        subprocess.run(cmd, env=env, check=True, timeout=240, capture_output=True)
        report = json.loads(out.read_text())
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
        cookie = _cookie_header(live.browser, live.url)
        base, base_failed = lighthouse(live.url + "/login")
        pages = ["/app", "/scan", "/app/rounds", "/app/keys", f"/q/{live.code}"]
        out = []
        for path in pages:
            score, failed = lighthouse(live.url + path, cookie)
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
