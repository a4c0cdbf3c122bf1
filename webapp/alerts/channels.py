"""The channels an alert reaches a person through, by name: the in-app bell, email, Web Push.

A channel is a ``Channel`` registered under its name (``vocab.ALERT_CHANNELS``)::

    @register
    class Push(Channel):
        name = "push"

        def ready(self, config): ...           # configured at all (VAPID keys)?
        def reachable(self, session, user_ids): ...  # who has a subscription
        def send(self, ctx, message): ...      # raise to be retried; jobs.Failed to give up

The fan-out (webapp/alerts/fanout.py) makes one ``AlertDelivery`` per event, person and
channel the person chose (and can be reached on), keyed ``alert:<event>:<user>:<channel>``,
and a job ``alerts.send`` with the same key. That job renders the ``Message`` in the person's
language, calls ``send`` and marks the delivery sent in the job's own commit, so the job engine
retries a failed send with back-off and a second fan-out or a duplicate tick finds the key
taken. A worker killed between the channel's acceptance and that commit sends again on the
retry: ``message.key`` goes with every send (an email's Message-ID, a push's topic) so the
far end can tell it is the same alert.

The bell is ``immediate``: its delivery row is the alert (the /alerts list), made sent by the
fan-out itself when nothing holds it back, with no job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from webapp import vocab


@dataclass(frozen=True)
class Attachment:
    """A file an email carries (a digest's PDF and workbook)."""

    name: str
    mime: str  # "application/pdf"
    data: bytes


@dataclass(frozen=True)
class Message:
    """One alert as one person reads it, in their language."""

    key: str  # alert:<event id>:<user id>:<channel>, the same on every retry
    kind: str  # a vocab.ALERT_KINDS value
    event_id: int
    user_id: int
    estate_id: int | None
    locale: str  # "zh_Hant_TW" or "en"
    title: str  # one line: what happened, and where
    body: str  # a few lines: the details, the count
    path: str  # the object's page in the app, "/review/findings/<id>"
    url: str  # PUBLIC_BASE_URL + path, for email and push
    urgent: bool  # a critical finding or a major violation (through quiet hours)
    # What an email of some kinds carries besides the text (a digest: messages.extras).
    html: str = ""
    attachments: tuple[Attachment, ...] = ()


class Channel:
    """A way to reach a person; subclasses set ``name`` and implement ``send``."""

    name: str = ""
    # The delivery row is the alert itself (the bell): sent when made, no job.
    immediate: bool = False

    def ready(self, config) -> bool:
        """Whether the deployment can use this channel at all (its settings are there)."""
        return True

    def reachable(self, session: Session, user_ids: Iterable[int]) -> set[int]:
        """The people among ``user_ids`` this channel can reach (an address, a subscription)."""
        return set(user_ids)

    def send(self, ctx, message: Message) -> None:
        """Send one alert (in a job: ``ctx`` is its webapp.jobs.engine.Context). Raise to have
        the job retried with back-off; ``webapp.jobs.engine.Failed`` to give up at once."""
        raise NotImplementedError


CHANNELS: dict[str, Channel] = {}


def register(cls: type[Channel]) -> type[Channel]:
    """Class decorator: add a channel to CHANNELS under its name (one of vocab.ALERT_CHANNELS)."""
    if cls.name not in vocab.ALERT_CHANNELS:
        raise ValueError(f"unknown alert channel {cls.name!r}")
    CHANNELS[cls.name] = cls()
    return cls


def ready(config) -> list[Channel]:
    """The registered channels this deployment can use, in vocab order."""
    found = (CHANNELS[name] for name in vocab.ALERT_CHANNELS if name in CHANNELS)
    return [channel for channel in found if channel.ready(config)]


@register
class Bell(Channel):
    """The in-app bell: the alert is the delivery row, listed at /alerts until read. It is the
    fallback that always works: no settings, no address, nothing to fail."""

    name = "bell"
    immediate = True

    def send(self, ctx, message: Message) -> None:
        """Nothing to send: a held bell alert shows once its job marks it sent."""
