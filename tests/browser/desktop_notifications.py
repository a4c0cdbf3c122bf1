"""A desktop's notification server, for Chromium to show notifications on and the test to click.

Chromium on Linux shows a web notification through the freedesktop notification server on
the D-Bus session bus (``org.freedesktop.Notifications``: ``Notify``, and the ``ActionInvoked``
signal when the user clicks it). This runs a private session bus (``dbus-daemon``) and a server
on it that records every ``Notify`` and, on ``click(id)``, signals the click exactly as a
desktop does — so Chromium fires a real, trusted ``notificationclick`` in the service worker,
with the right to open a window. (A click through DevTools does not exist; a synthetic event
dispatched in the worker may neither wait nor open a window.) Launch Chromium with
``env={"DBUS_SESSION_BUS_ADDRESS": server.address}`` and a persistent profile: in an incognito
context (Playwright's ``new_context``) Chromium routes the click to another profile.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from jeepney import DBusAddress, HeaderFields, MessageType, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
INSTALL_HINT = "The push test needs dbus-daemon: apt-get install -y dbus-daemon"

# A bus of our own: no service activation (nothing else starts on it), anyone may talk.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@dataclass
class Shown:
    id: int
    app: str
    summary: str
    body: str
    actions: list[str]


@dataclass
class NotificationServer:
    address: str
    _bus: subprocess.Popen
    _conn: object
    shown: list[Shown] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_shown(self, count: int, timeout: float = 10) -> list[Shown]:
        deadline = time.monotonic() + timeout
        while len(self.shown) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.shown)} notification(s) shown, not {count}")
            time.sleep(0.05)
        return list(self.shown)

    def click(self, notification_id: int) -> None:
        """What a desktop sends when the user clicks the notification's body."""
        signal = new_signal(
            DBusAddress(PATH, interface=NAME), "ActionInvoked", "us", (notification_id, "default")
        )
        with self._lock:
            self._conn.send(signal)

    def _serve(self) -> None:
        next_id = 0
        while True:
            try:
                message = self._conn.receive()
            except Exception:  # the bus went away: the test is over
                return
            header = message.header
            if header.message_type != MessageType.method_call:
                continue
            member = header.fields.get(HeaderFields.member)
            if member == "GetCapabilities":
                reply = new_method_return(message, "as", (["actions", "body", "persistence"],))
            elif member == "GetServerInformation":
                reply = new_method_return(message, "ssss", ("rounds-test", "rounds", "1", "1.2"))
            elif member == "Notify":
                app, replaces, _icon, summary, body, actions, _hints, _timeout = message.body
                next_id += 1
                shown_id = replaces or next_id
                self.shown.append(Shown(shown_id, app, summary, body, list(actions)))
                reply = new_method_return(message, "u", (shown_id,))
            elif member == "CloseNotification":
                self.closed.append(message.body[0])
                reply = new_method_return(message)
            else:
                reply = new_method_return(message)
            with self._lock:
                self._conn.send(reply)

    def stop(self) -> None:
        self._conn.close()
        self._bus.terminate()
        self._bus.wait(timeout=5)


def start(directory: Path) -> NotificationServer:
    """A private session bus in ``directory`` with the notification server on it."""
    executable = shutil.which("dbus-daemon")
    if executable is None:
        raise FileNotFoundError(INSTALL_HINT)
    config = directory / "bus.conf"
    config.write_text(BUS_CONFIG.format(dir=directory))
    bus = subprocess.Popen(
        [executable, f"--config-file={config}", "--nofork", "--print-address"],
        stdout=subprocess.PIPE,
        text=True,
    )
    address = bus.stdout.readline().strip()
    conn = open_dbus_connection(bus=address)
    reply = conn.send_and_get_reply(message_bus.RequestName(NAME))
    assert reply.body == (1,), f"could not own {NAME}: {reply.body}"  # 1: primary owner
    server = NotificationServer(address=address, _bus=bus, _conn=conn)
    threading.Thread(target=server._serve, daemon=True).start()
    return server
