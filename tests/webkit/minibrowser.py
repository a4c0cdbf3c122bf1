#!/usr/bin/python3
"""A small WebKitGTK browser for WebKitWebDriver: Safari's engine as a phone keeps it.

WebKitWebDriver launches this file as its browser (``webkitgtk:browserOptions`` ``binary``)
with ``--automation``. Stock MiniBrowser will not do for the phone tests: in automation mode its
storage is ephemeral (nothing survives a browser restart) and its window is never narrower than
447 px. This one keeps a persistent profile (IndexedDB, service workers, cookies), leaves the
back/forward cache on as Safari does, opens a 390 x 844 window and writes every console message
(pages and service worker alike) to a file.

It runs under Debian's /usr/bin/python3 with python3-gi, gir1.2-webkit2-4.1 and gir1.2-gtk-3.0,
never the project's virtualenv (PyGObject comes from Debian, built against the system WebKit).

Arguments (after ``--automation``, which the driver adds or the test passes):
  --profile=DIR       where the website data and cookies live (kept across launches)
  --console-log=FILE  console messages and WebKit's own output, appended
  --size=WxH          the window's size (default 390x844)
  --user-agent=UA     the user agent (default: WebKit's own)
  --no-page-cache     turn the back/forward cache off (to compare; Safari keeps it on)
"""

from __future__ import annotations

import os
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import Gtk, WebKit2  # noqa: E402


def options(argv: list[str]) -> dict:
    found = {
        "automation": False,
        "profile": None,
        "console_log": None,
        "size": (390, 844),
        "user_agent": None,
        "page_cache": True,
        "urls": [],
    }
    for arg in argv:
        if arg == "--automation":
            found["automation"] = True
        elif arg.startswith("--profile="):
            found["profile"] = arg.split("=", 1)[1]
        elif arg.startswith("--console-log="):
            found["console_log"] = arg.split("=", 1)[1]
        elif arg.startswith("--size="):
            width, height = arg.split("=", 1)[1].lower().split("x")
            found["size"] = (int(width), int(height))
        elif arg.startswith("--user-agent="):
            found["user_agent"] = arg.split("=", 1)[1]
        elif arg == "--no-page-cache":
            found["page_cache"] = False
        elif not arg.startswith("-"):
            found["urls"].append(arg)
    return found


def log_to(path: str) -> None:
    """Send stdout and stderr (ours and the web processes', which inherit them) to a file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


class Browser:
    def __init__(self, opts: dict) -> None:
        self.opts = opts
        self.windows: list[Gtk.Window] = []
        profile = opts["profile"] or os.path.join(os.getcwd(), "webkit-profile")
        os.makedirs(profile, exist_ok=True)
        manager = WebKit2.WebsiteDataManager(
            base_data_directory=os.path.join(profile, "data"),
            base_cache_directory=os.path.join(profile, "cache"),
        )
        cookies = manager.get_cookie_manager()
        cookies.set_persistent_storage(
            os.path.join(profile, "cookies.sqlite"), WebKit2.CookiePersistentStorage.SQLITE
        )
        cookies.set_accept_policy(WebKit2.CookieAcceptPolicy.NO_THIRD_PARTY)
        self.context = WebKit2.WebContext(website_data_manager=manager)
        self.context.set_cache_model(WebKit2.CacheModel.WEB_BROWSER)
        if opts["automation"]:
            self.context.set_automation_allowed(True)
            self.context.connect("automation-started", self.on_automation_started)

    def settings(self) -> WebKit2.Settings:
        settings = WebKit2.Settings()
        settings.set_enable_page_cache(self.opts["page_cache"])
        settings.set_enable_write_console_messages_to_stdout(True)
        settings.set_enable_developer_extras(True)
        settings.set_enable_media_stream(True)
        settings.set_hardware_acceleration_policy(WebKit2.HardwareAccelerationPolicy.NEVER)
        if self.opts["user_agent"]:
            settings.set_user_agent(self.opts["user_agent"])
        return settings

    def new_view(self, automated: bool, related: WebKit2.WebView | None = None) -> WebKit2.WebView:
        props = {"settings": self.settings(), "is-controlled-by-automation": automated}
        if related is not None:
            props["related-view"] = related
        else:
            props["web-context"] = self.context
        view = WebKit2.WebView(**props)
        view.connect("create", self.on_create)
        view.connect("close", self.on_close)
        view.connect("permission-request", self.on_permission)
        window = Gtk.Window()
        width, height = self.opts["size"]
        window.set_default_size(width, height)
        window.add(view)
        window.connect("destroy", self.on_window_destroyed)
        window.show_all()
        self.windows.append(window)
        return view

    def on_automation_started(self, _context, session) -> None:
        info = WebKit2.ApplicationInfo()
        info.set_name("rounds-webkit")
        info.set_version(
            WebKit2.get_major_version(), WebKit2.get_minor_version(), WebKit2.get_micro_version()
        )
        session.set_application_info(info)
        session.connect("create-web-view", lambda _session: self.new_view(True))

    def on_create(self, view, _action):
        return self.new_view(view.props.is_controlled_by_automation, related=view)

    def on_close(self, view) -> None:
        window = view.get_toplevel()
        if isinstance(window, Gtk.Window):
            window.destroy()

    def on_permission(self, _view, request) -> bool:
        request.allow()  # the camera and notifications, as a patroller who said yes
        return True

    def on_window_destroyed(self, window) -> None:
        if window in self.windows:
            self.windows.remove(window)
        if not self.windows and not self.opts["automation"]:
            Gtk.main_quit()


def main() -> int:
    opts = options(sys.argv[1:])
    if opts["console_log"]:
        log_to(opts["console_log"])
    browser = Browser(opts)
    if not opts["automation"]:
        view = browser.new_view(False)
        view.load_uri(opts["urls"][0] if opts["urls"] else "about:blank")
    Gtk.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
