"""WebKit (Safari's engine) for the phone tests: Xvfb, WebKitWebDriver, our PyGObject browser,
and a relay between the browser and the live server that a test can cut to take the phone off
the network for real (service-worker fetches, a restarted browser and all)."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import socket
import subprocess
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

BROWSER = Path(__file__).with_name("minibrowser.py")
SYSTEM_PYTHON = "/usr/bin/python3"
# What WebKit on an iPhone says: the app's iOS-only guidance keys on it.
IPHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1"
)
PACKAGES = "webkit2gtk-driver python3-gi gir1.2-webkit2-4.1 gir1.2-gtk-3.0 xvfb"
INSTALL_HINT = (
    f"The WebKit tests need Debian's WebKitGTK driver, PyGObject and Xvfb: "
    f"apt-get install -y {PACKAGES} (as root; `make test` does it when run as root)."
)


def missing() -> str | None:
    """What of the WebKit harness this machine lacks, or None when all is there."""
    for tool in ("WebKitWebDriver", "Xvfb"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"{SYSTEM_PYTHON} is not there"
    probe = subprocess.run(
        [
            SYSTEM_PYTHON,
            "-c",
            "import gi; gi.require_version('Gtk', '3.0'); gi.require_version('WebKit2', '4.1');"
            "from gi.repository import Gtk, WebKit2",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return "PyGObject with WebKit2 4.1 and GTK 3 is missing: " + probe.stderr.strip()[-200:]
    return None


class Xvfb:
    """A virtual X display of our own for the browser windows."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.display = ""

    def start(self) -> Xvfb:
        read, write = os.pipe()
        self.process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


@dataclass
class Relay:
    """A TCP relay on a port of its own to the live server. `cut()` refuses every connection
    and drops the open ones (the phone is offline); `restore()` listens again on the same port."""

    upstream: int
    port: int = 0
    _listener: socket.socket | None = None
    _open: set = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Relay:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    restore = start

    @property
    def is_cut(self) -> bool:
        return self._listener is None

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    stop = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream), timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    server.close()
                    return
                self._open.update((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        """Carry bytes both ways until either side ends (or the relay is cut), then close both."""
        peer = {client: server, server: client}
        try:
            while True:
                ready, _, _ = select.select([client, server], [], [], 1.0)
                if client.fileno() < 0 or server.fileno() < 0:
                    return
                for sock in ready:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    peer[sock].sendall(chunk)
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                self._open.discard(client)
                self._open.discard(server)
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.close()


class Phone:
    """One launch of the WebKit browser on a profile, driven through Selenium."""

    def __init__(self, base_url: str, profile: Path, display: str, user_agent: str = IPHONE_UA):
        self.base_url = base_url
        self.profile = profile
        self.console = profile.with_name(profile.name + "-console.log")
        self.display = display
        self.user_agent = user_agent
        self.driver = None

    def launch(self, page_cache: bool = True) -> Phone:
        from selenium import webdriver
        from selenium.webdriver.webkitgtk.options import Options
        from selenium.webdriver.webkitgtk.service import Service

        options = Options()
        options.binary_location = str(BROWSER)
        # WebKitWebDriver matches browserName against the name the browser reports.
        options.set_capability("browserName", "rounds-webkit")
        for arg in (
            "--automation",
            f"--profile={self.profile}",
            f"--console-log={self.console}",
            "--size=390x844",
            f"--user-agent={self.user_agent}",
        ):
            options.add_argument(arg)
        if not page_cache:
            options.add_argument("--no-page-cache")
        env = {**os.environ, "DISPLAY": self.display}
        env.pop("WAYLAND_DISPLAY", None)
        service = Service(executable_path=shutil.which("WebKitWebDriver"), env=env)
        with warnings.catch_warnings():
            # selenium 4.51's own WebKitGTK class passes the deprecated remote_server_addr.
            warnings.filterwarnings("ignore", "setting remote_server_addr", DeprecationWarning)
            self.driver = webdriver.WebKitGTK(options=options, service=service)
        self.driver.set_page_load_timeout(30)
        self.driver.set_script_timeout(30)
        return self

    def quit(self) -> None:
        if self.driver is not None:
            with contextlib.suppress(Exception):
                self.driver.quit()
            self.driver = None

    def restart(self) -> Phone:
        self.quit()
        return self.launch()

    # ------------------------------------------------------------ driving

    def goto(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    @property
    def path(self) -> str:
        url = self.driver.current_url
        return url[len(self.base_url) :] if url.startswith(self.base_url) else url

    def js(self, script: str, *args):
        """Run a function body in the page; a returned promise is awaited."""
        return self.driver.execute_script(script, *args)

    def until(self, script: str, *args, timeout: float = 30, what: str = ""):
        """Poll a function body until it answers truthy (errors count as not yet)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                value = self.js(script, *args)
            except Exception as error:  # noqa: BLE001 - a page between loads answers nothing
                last = error
                value = None
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"never true within {timeout}s: {what or script} (last: {last})")

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def click(self, css: str) -> None:
        """Click as a finger would: centred on screen first (a sticky header or a banner may
        cover it); when something still lies over it, the page's own click()."""
        from selenium.common.exceptions import ElementClickInterceptedException

        element = self.find(css)
        self.js("arguments[0].scrollIntoView({block: 'center'});", element)
        try:
            element.click()
        except ElementClickInterceptedException:
            self.js("arguments[0].click();", element)

    def fill(self, css: str, text: str) -> None:
        field_ = self.find(css)
        field_.clear()
        field_.send_keys(text)

    def wait_visible(self, css: str, timeout: float = 20) -> None:
        self.until(
            "const e = document.querySelector(arguments[0]);"
            "return Boolean(e && !e.hidden && e.offsetParent !== null);",
            css,
            timeout=timeout,
            what=f"{css} visible",
        )

    def console_lines(self) -> list[str]:
        try:
            return self.console.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []

    def screenshot(self, path: Path) -> None:
        self.driver.save_screenshot(str(path))
