"""The email channel: one message per alert through the SMTP server the environment names
(SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_FROM, SMTP_STARTTLS; webapp/config.py),
to the address the person gave on their alerts page, in their language, with the link."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from webapp.alerts.channels import Channel, Message, register
from webapp.models.alerts import AlertPreference
from webapp.text import NotAnAddress, email_address

log = logging.getLogger(__name__)

TIMEOUT = 15  # seconds for the server to answer; a stalled server fails the try (retried)
# Line breaks and control characters a header cannot carry: a title names user text (a
# finding's place typed on two lines, a key's name), and one line break in it made Python's
# email refuse the Subject, so the alert's email failed on every try and never came.
_NOT_IN_HEADER = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def header_text(text: str) -> str:
    """User text as a header's value: on one line, each run of breaks and controls a space."""
    return " ".join(_NOT_IN_HEADER.sub(" ", text).split())


def message_id(message: Message, base_url: str) -> str:
    """The alert's Message-ID: the same on every retry, so a mail store can tell a resend."""
    host = urlsplit(base_url).hostname or "rounds.invalid"
    return f"<{message.key.replace(':', '.')}@{host}>"


def compose(message: Message, to: str, config) -> EmailMessage:
    """The email of one alert: its title as the subject, its body and link as the text."""
    mail = EmailMessage()
    mail["Subject"] = header_text(message.title)
    mail["From"] = config["SMTP_FROM"]
    mail["To"] = to
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = message_id(message, config["PUBLIC_BASE_URL"])
    with force_locale(message.locale):
        footer = _("Choose which alerts you get: %(url)s", url=config["PUBLIC_BASE_URL"])
        opened = _("Open: %(url)s", url=message.url)
    mail.set_content("\n\n".join(p for p in (message.title, message.body, opened, footer) if p))
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    for attached in message.attachments:
        maintype, _slash, subtype = attached.mime.partition("/")
        mail.add_attachment(
            attached.data, maintype=maintype, subtype=subtype, filename=attached.name
        )
    return mail


@register
class Email(Channel):
    name = "email"

    def ready(self, config) -> bool:
        return bool(config.get("SMTP_HOST"))

    def reachable(self, session: Session, user_ids: Iterable[int]) -> set[int]:
        ids = set(user_ids)
        if not ids:
            return set()
        return set(
            session.scalars(
                sa.select(AlertPreference.user_id).where(
                    AlertPreference.user_id.in_(ids),
                    AlertPreference.email.is_not(None),
                    AlertPreference.email != "",
                )
            )
        )

    def send(self, ctx, message: Message) -> None:
        config = ctx.config
        to = ctx.session.scalar(
            sa.select(AlertPreference.email).where(AlertPreference.user_id == message.user_id)
        )
        if not to:
            return  # the address was taken away since: nothing to send
        try:
            to = email_address(to)
        except NotAnAddress as refused:
            # Saved before the page checked strictly (a,b@… went to two people): sent to no
            # one until the person gives one address.
            log.warning("alert email not sent: user %s's address is %s", message.user_id, refused)
            return
        mail = compose(message, to, config)
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=TIMEOUT) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            smtp.send_message(mail)
