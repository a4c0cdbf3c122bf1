"""The installable app in real Chromium: service worker, offline start, scanner, updates."""

from __future__ import annotations

import re

import pytest

from tests.browser import support
from tests.browser.conftest import log_in, wait_for_control

pytestmark = pytest.mark.browser

DENY_CAMERA = """
navigator.mediaDevices.getUserMedia = () =>
  Promise.reject(new DOMException("denied by the test", "NotAllowedError"));
"""


def test_service_worker_controls_the_page_and_precaches_the_shell(page, live_server):
    """After one visit, does the service worker control the page and hold shell, JS and wasm?"""
    page.goto("/app")
    wait_for_control(page)
    cached = page.evaluate(
        """async () => {
            const urls = [];
            for (const name of await caches.keys()) {
              const cache = await caches.open(name);
              for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
            }
            return urls;
        }"""
    )
    for path in (
        "/app",
        "/scan",
        "/static/build/shell.js",
        "/static/build/scanner.js",
        "/static/build/zxing_reader.wasm",
        "/static/css/pwa.css",
        "/static/icons/icon-192.png",
    ):
        assert path in cached
    assert not any(p.startswith("/api/") for p in cached)


def test_with_every_request_aborted_a_reload_renders_the_shell(page, context, printed_label):
    """With no network at all, do the shell and the scanner (wasm included) still work?"""
    label, _video, _png = printed_label
    page.goto("/app")
    wait_for_control(page)
    context.route("**/*", lambda route: route.abort())
    context.set_offline(True)
    page.reload()
    assert page.locator("#shell-home h1").is_visible()
    assert page.locator("#shell-network").inner_text() == "離線"
    assert page.locator("#shell-fallback").is_hidden()
    assert page.locator("[data-empty]").is_visible()  # the phone store is empty: said so
    # A page that was never cached falls back to the shell, not the browser's error page.
    page.goto("/account/password")
    assert page.locator("#shell-home h1").is_visible()
    assert "沒有網路" in page.locator("#shell-fallback").inner_text()
    # The scanner and its decoder come from the precache: a label is still read, and its
    # item page (which needs the server) falls back to the shell, saying so.
    page.goto("/scan")
    assert page.locator("#scanner").is_visible()
    page.wait_for_url(f"**/q/{label.code}", timeout=30_000)
    assert "沒有網路" in page.locator("#shell-fallback").inner_text()


def test_fake_camera_decodes_a_printed_label_to_its_item(page, live_server, printed_label):
    """Does the scanner read the label the app printed, from a live camera, and open its item?"""
    label, _video, _png = printed_label
    log_in(page)
    page.goto("/scan")
    page.wait_for_url(f"**/q/{label.code}", timeout=30_000)
    assert page.url == f"{live_server.url}/q/{label.code}"
    if any(r.rule == "/q/<code>" for r in live_server.app.url_map.iter_rules()):
        assert label.unit_label in page.content()


def test_a_foreign_qr_is_refused_and_never_followed(page, context, live_server, tmp_path):
    """Does a QR code of another site show a warning and leave the page where it was?"""
    context.add_init_script(DENY_CAMERA)
    page.goto("/scan")
    foreign = tmp_path / "foreign.png"
    foreign.write_bytes(support.qr_png("https://example.com/q/0123456789ABCDEFGH"))
    page.set_input_files("[data-scan-photo]", str(foreign))
    warning = page.locator("[data-scan-foreign]")
    warning.wait_for(state="visible")
    assert "https://example.com/q/0123456789ABCDEFGH" in warning.inner_text()
    page.wait_for_timeout(500)  # time in which a wrong navigation would have started
    assert page.url == f"{live_server.url}/scan"


def test_only_this_deployments_q_urls_are_accepted(page, live_server):
    """Does the phone's check accept our /q/ URLs only, not look-alikes?"""
    page.goto("/app")
    base = live_server.url
    verdicts = page.evaluate(
        """async ([base, samples]) => {
            const { parseScan } = await import("/static/build/codes.js");
            return samples.map((text) => parseScan(text, base));
        }""",
        [
            base,
            [
                f"{base}/q/0123456789ABCDEF",
                f"{base}/q/0123-4567-89ab-cdef",
                f"{base.replace('http://', 'https://')}/q/0123456789ABCDEF",
                f"{base}.evil.example/q/0123456789ABCDEF",
                f"{base}/x/q/0123456789ABCDEF",
                f"{base}/q/0123456789ABCDEF?next=//evil",
                f"{base}/q/short",
                "0123456789ABCDEF",
                "WIFI:S:lobby;T:WPA;P:secret;;",
            ],
        ],
    )
    assert verdicts[0] == {"ok": True, "code": "0123456789ABCDEF"}
    assert verdicts[1] == {"ok": True, "code": "0123456789ABCDEF"}
    assert all(v == {"ok": False, "reason": "foreign"} for v in verdicts[2:])


def test_camera_denied_leads_to_typing_the_code(page, context):
    """When the camera is refused, is the user told so and put in the code field?"""
    context.add_init_script(DENY_CAMERA)
    page.goto("/scan")
    denied = page.locator("[data-scan-denied]")
    denied.wait_for(state="visible")
    assert "相機" in denied.inner_text()
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.id === 'manual-code'"
    )


def test_manual_entry_checks_the_code_and_opens_the_item(page, live_server, printed_label):
    """Does typing a code catch a typo, say what the phone does not know, and open an item?"""
    label, _video, _png = printed_label
    page.goto("/app")
    field = page.locator("#manual-code")
    error = page.locator("#manual-error")
    # One wrong character: the check character catches it.
    typo = (
        label.short_code[:2] + ("0" if label.short_code[2] != "0" else "1") + label.short_code[3:]
    )
    field.fill(typo)
    page.click("#manual-form button[type=submit]")
    error.wait_for(state="visible")
    assert "校驗不符" in error.inner_text()
    # A well-formed code with no phone store yet: an empty state, not an error page.
    field.fill(label.short_code.lower())
    assert page.locator("#manual-empty").is_visible()
    page.click("#manual-form button[type=submit]")
    page.wait_for_function(
        "code => document.getElementById('manual-error').textContent.includes(code)",
        arg=label.short_code,
    )
    # Once the phone knows its items (registered as the phone store will), a short code
    # turns into the long code, with type-ahead. (Logged in only now: a login fills the
    # phone store, which would answer the "nothing stored yet" questions above.)
    log_in(page)
    page.goto("/app")
    page.evaluate(
        """async (item) => {
            const { registerItemSource } = await import("/static/build/items.js");
            registerItemSource({
              byShortCode: async (s) => (s === item.short_code ? item : null),
              search: async (p) => (item.short_code.startsWith(p) ? [item] : []),
              stats: async () => ({ items: 1, lastSyncedAt: null }),
            });
        }""",
        {"code": label.code, "short_code": label.short_code, "label": label.unit_label},
    )
    field.fill(label.short_code[:3])
    suggestion = page.locator("#manual-suggestions .suggestion")
    suggestion.wait_for(state="visible")
    assert label.unit_label in suggestion.inner_text()
    field.fill(f"{label.short_code[:4]}-{label.short_code[4:]}")
    page.click("#manual-form button[type=submit]")
    page.wait_for_url(f"**/q/{label.code}")
    # The long code typed in full opens the item as well.
    page.goto("/app")
    page.fill("#manual-code", label.code)
    page.press("#manual-code", "Enter")
    page.wait_for_url(f"**/q/{label.code}")


def test_a_new_service_worker_version_shows_the_reload_banner(page, live_server):
    """When the server has a new version, is the user offered a reload that brings it in?"""
    app = live_server.app
    page.goto("/app")
    wait_for_control(page)
    first = page.evaluate("navigator.serviceWorker.controller.scriptURL")
    assert page.locator("#pwa-update").count() == 0
    app.config["PWA_REVISION"] = "a-new-version"
    try:
        page.reload()
        banner = page.locator("#pwa-update")
        banner.wait_for(state="visible", timeout=20_000)
        assert "新版本" in banner.inner_text()
        with page.expect_navigation():
            banner.locator("button").click()
        wait_for_control(page)
        assert page.locator("#pwa-update").count() == 0
        waiting = page.evaluate(
            "navigator.serviceWorker.getRegistration().then(r => r.waiting === null)"
        )
        assert waiting
        assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == first
    finally:
        app.config.pop("PWA_REVISION", None)


def test_chrome_finds_no_installability_errors(browser, live_server, tmp_path):
    """Does Chrome consider the app installable from http://127.0.0.1 (no errors at all)?"""
    # getInstallabilityErrors reports "in-incognito" for every new_context(): use a profile.
    ctx = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=support.chromium_path(),
        args=support.CHROMIUM_FLAGS,
    )
    try:
        page = ctx.new_page()
        page.goto(f"{live_server.url}/app")
        wait_for_control(page)
        cdp = ctx.new_cdp_session(page)
        result = cdp.send("Page.getInstallabilityErrors")
        manifest = cdp.send("Page.getAppManifest")
    finally:
        ctx.close()
    assert manifest.get("errors") == []
    assert result["installabilityErrors"] == []


def test_shell_and_scanner_fit_a_phone(page, context, live_server):
    """At 390 x 844, is nothing off-screen and is every button a thumb-sized target?"""
    context.add_init_script(DENY_CAMERA)
    shots = support.screenshot_dir()
    for path, name in (("/app", "shell"), ("/scan", "scanner-denied")):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        if shots:
            page.screenshot(path=str(shots / f"pwa-{name}-390x844.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= 390, f"{path} is {overflow}px wide"
        small = page.evaluate(
            """() => [...document.querySelectorAll('main button, main .btn, main input[type=text]')]
                .filter((el) => el.offsetParent !== null)
                .map((el) => [el.textContent.trim() || el.id, el.getBoundingClientRect().height])
                .filter(([, h]) => h < 48)"""
        )
        assert small == [], f"{path}: targets under 48px: {small}"
    assert re.search(r"巡查", page.title())


CANVAS_CAMERA = """
navigator.mediaDevices.getUserMedia = async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 640;
  canvas.height = 480;
  const g = canvas.getContext("2d");
  setInterval(() => { g.fillStyle = "#556"; g.fillRect(0, 0, 640, 480); }, 100);
  return canvas.captureStream(10);
};
"""
TORCH = """
window.__torch = [];
const caps = MediaStreamTrack.prototype.getCapabilities;
MediaStreamTrack.prototype.getCapabilities = function () {
  return { ...(caps ? caps.call(this) : {}), torch: true };
};
MediaStreamTrack.prototype.applyConstraints = async function (c) { window.__torch.push(c); };
"""


@pytest.mark.parametrize("has_torch", [False, True], ids=["no-torch", "torch"])
def test_the_light_button_shows_only_for_a_camera_with_a_torch(page, context, has_torch):
    """Is the light offered only when the camera says it has one, and does it switch it?"""
    context.add_init_script(CANVAS_CAMERA + (TORCH if has_torch else ""))
    page.goto("/scan")
    page.wait_for_function("() => document.getElementById('scanner').dataset.scanning === '1'")
    torch = page.locator("[data-scan-torch]")
    if not has_torch:
        assert torch.is_hidden()
        return
    torch.click()
    page.wait_for_function("() => window.__torch.length === 1")
    assert page.evaluate("window.__torch") == [{"advanced": [{"torch": True}]}]
    assert torch.get_attribute("aria-pressed") == "true"


@pytest.mark.parametrize("username", ["patrol", "supervisor", "engineer", "desk", "admin"])
def test_home_and_item_pages_run_under_the_csp(page, live_server, printed_label, username):
    """Do the login page, each role's home and an item page load with no CSP violation?"""
    label, _video, _png = printed_label
    log_in(page, username)
    page.goto("/")
    page.wait_for_load_state("networkidle")
    page.goto(f"/q/{label.code}")
    page.wait_for_load_state("networkidle")
    assert page.locator("link[rel=manifest]").count() == 1
    # The page fixture fails the test on any violation it saw.


def test_the_phone_checks_short_codes_exactly_as_the_server_does(page):
    """Do codes.js and webapp/labels/codes.py agree on check characters and normalising?"""
    import random

    from webapp.labels import codes

    rng = random.Random(6)
    bodies = [
        "".join(rng.choice(codes.ALPHABET) for _ in range(rng.randint(1, 7))) for _ in range(300)
    ]
    typed = ["7k3-m9qx", " ilou 0 ", "abc def", "O1LI-uv"]
    page.goto("/app")
    got = page.evaluate(
        """async ([bodies, typed]) => {
            const c = await import("/static/build/codes.js");
            return {
              checks: bodies.map((b) => c.checkCharacter(b)),
              normal: typed.map((t) => c.normalize(t)),
              valid: bodies.map((b) => c.shortCodeValid(b + c.checkCharacter(b))),
            };
        }""",
        [bodies, typed],
    )
    assert got["checks"] == [codes.check_character(b) for b in bodies]
    assert got["normal"] == [codes.normalize(t) for t in typed]
    expected_valid = [codes.short_code_valid(b + codes.check_character(b)) for b in bodies]
    assert got["valid"] == expected_valid
