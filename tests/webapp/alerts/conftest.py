"""The alerts' fixtures: a real SMTP server (aiosmtpd) on loopback, the app sending through it,
its job engine on a clock the test moves, a second estate's supervisor, and pushes."""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests.conftest import empty_app, make_test_app
from tests.sync.conftest import Phone, issue_device
from webapp.extensions import db
from webapp.jobs import engine
from webapp.models import Estate, User
from webapp.models.alerts import AlertDelivery, AlertPreference
from webapp.models.jobs import AlertEvent, Job


class Inbox:
    """What the SMTP server accepted; ``hold`` makes it sit on the next message unanswered
    (a send in flight) until ``release``."""

    def __init__(self):
        self.messages: list = []
        self.held = threading.Event()  # set once a message is being held
        self._hold = False
        self._release = threading.Event()

    def hold(self) -> None:
        self._hold = True

    def release(self) -> None:
        self._release.set()

    async def handle_DATA(self, server, session, envelope):
        if self._hold:
            self._hold = False
            self.held.set()
            while not self._release.is_set():
                await asyncio.sleep(0.02)
            return "451 try again later"
        self.messages.append(envelope)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.rcpt_tos]


def read(envelope) -> EmailMessage:
    """An accepted message as Python's email package reads it (headers decoded)."""
    return message_from_bytes(envelope.content, policy=policy.default)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller
    inbox.release()
    controller.stop()


def smtp_settings(controller) -> dict:
    return {
        "SMTP_HOST": controller.hostname,
        "SMTP_PORT": controller.port,
        "SMTP_FROM": "rounds@example.test",
        "SMTP_STARTTLS": False,
    }


@pytest.fixture
def app(_migrated, database_url, instance_dir, smtp):
    """The app, emailing through the test's SMTP server."""
    made = make_test_app(database_url, instance_dir, **smtp_settings(smtp))
    yield made
    empty_app(made)


@pytest.fixture
def inbox(smtp) -> Inbox:
    return smtp.handler


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> datetime:
        self.now = now
        return now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(app):
    """The app's job engine on a clock the test moves (aware UTC)."""
    found = Clock(datetime.now(UTC).replace(microsecond=0))
    engine.get(app).clock = found
    return found


@pytest.fixture
def jobs(app, clock):
    """Run every job due by the clock, as a worker would (again until none is left)."""

    def run() -> int:
        ran, total = 1, 0
        while ran:
            ran = engine.get(app).work()
            total += ran
        return total

    return run


@pytest.fixture
def people(app, seed):
    """The seed's users by name, with a supervisor of the second estate only (supervisor2)
    and every address given: <username>@example.test."""
    with app.app_context():
        second = db.session.get(Estate, seed.estate_ids[1])
        # The demo's own events (its stop-works) were heard of before these tests: each test
        # counts who hears of its own.
        db.session.execute(
            sa.update(AlertEvent)
            .where(AlertEvent.dispatched_at.is_(None))
            .values(dispatched_at=AlertEvent.occurred_at)
        )
        db.session.execute(sa.delete(Job).where(Job.kind == "alerts.fanout"))  # the demo's
        # The demo has one since it names a supervisor for every estate; older seeds did not.
        other = db.session.scalar(sa.select(User).where(User.username == "supervisor2"))
        if other is None:
            other = User(username="supervisor2", role="supervisor", display_name="王主管")
            other.set_password("supervisor2-demo")
            db.session.add(other)
        other.estates = [second]
        # The demo's regional supervisor sees both estates: these tests count who hears of
        # an estate's events among its own people (test_a_supervisor_of_several_estates_…).
        regional = db.session.scalar(sa.select(User).where(User.username == "regional"))
        if regional is not None:
            regional.active = False
        db.session.flush()
        users = {u.username: u.id for u in db.session.scalars(sa.select(User))}
        for user_id in users.values():
            db.session.add(AlertPreference(user_id=user_id, choices={}, email=None))
        db.session.flush()
        for username, user_id in users.items():
            db.session.get(AlertPreference, user_id).email = f"{username}@example.test"
        db.session.commit()
        return users


def choose(app, user_id: int, **values) -> None:
    """Change a person's alert choices."""
    with app.app_context():
        row = db.session.get(AlertPreference, user_id)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


def deliveries(app, **where) -> list[tuple]:
    """(kind, username, channel, state) of every delivery, sorted."""
    with app.app_context():
        query = (
            sa.select(AlertEvent.kind, User.username, AlertDelivery.channel, AlertDelivery.state)
            .join(AlertEvent, AlertEvent.id == AlertDelivery.event_id)
            .join(User, User.id == AlertDelivery.user_id)
        )
        for name, value in where.items():
            query = query.where(getattr(AlertEvent, name) == value)
        return sorted(tuple(row) for row in db.session.execute(query))


def events_of(app, kind: str) -> list[AlertEvent]:
    with app.app_context():
        found = db.session.scalars(sa.select(AlertEvent).where(AlertEvent.kind == kind)).all()
        for event in found:
            db.session.expunge(event)
        return found


@pytest.fixture
def phone(app, client, seed):
    device_id, token = issue_device(app, "patrol")
    return Phone(client, device_id, token)


def op(kind: str, payload: dict, at: datetime) -> dict:
    return {
        "op_id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": at.isoformat(),
        "payload": {"id": str(uuid.uuid4()), **payload},
    }
