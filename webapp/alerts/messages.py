"""What an alert says, in the reader's language, and the page it links to.

Built from the event's ``detail`` and the records it names, when it is shown or sent (not when
it is recorded), so one event reads in each person's language. Needs a request context for
its links: the send job makes one on PUBLIC_BASE_URL (``sending``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from webapp import i18n
from webapp.models import ITEM_MODELS, Building, Device, Estate, Key, LabelCode, User
from webapp.models.jobs import AlertEvent
from webapp.models.sync import Finding, QuarantinedOp


@dataclass(frozen=True)
class Text:
    """An alert as shown: a title, a body, and the path of the page to act on."""

    title: str
    body: str
    path: str


# Kinds whose words come from their own module (the digests: webapp/alerts/digests.py):
# kind → render(session, event), for the bell and every channel; and what a message of the
# kind carries besides (``channels.Message`` fields: a longer body, html, attachments), read
# only when it is sent.
RENDERERS: dict[str, Callable[[Session, AlertEvent], Text]] = {}
EXTRAS: dict[str, Callable[[Session, AlertEvent], dict]] = {}


def extras(session: Session, event: AlertEvent) -> dict:
    """What a message of the event's kind carries besides its text (none for most kinds)."""
    found = EXTRAS.get(event.kind)
    return found(session, event) if found is not None else {}


@contextmanager
def sending(locale: str | None) -> Iterator[None]:
    """Where a job renders an alert: a request on PUBLIC_BASE_URL (for the links), in the
    reader's language."""
    base = current_app.config["PUBLIC_BASE_URL"]
    with (
        current_app.test_request_context("/", base_url=base),
        force_locale(locale if locale in i18n.LOCALES else i18n.DEFAULT_LOCALE),
    ):
        yield


def _when(at: datetime | str | None, zone: ZoneInfo) -> str:
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at)
        except ValueError:
            return ""
    if at is None:
        return ""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _item_label(session: Session, item_type: str | None, item_id: int | None) -> str:
    model = ITEM_MODELS.get(item_type or "")
    if model is None or item_id is None:
        return ""
    item = session.get(model, item_id)
    return item.label if item is not None else ""


def _finding(session: Session, detail: dict) -> tuple[Finding | None, str, str]:
    """The finding, where it is (its item's label or its place), and its page."""
    finding = session.get(Finding, detail.get("finding_id") or "")
    if finding is None:
        return None, "", url_for("review.findings")
    where = _item_label(session, finding.item_type, finding.item_id) or finding.location or ""
    return finding, where, url_for("review.finding", finding_id=finding.id)


def _key(session: Session, detail: dict) -> tuple[Key | None, str]:
    key = session.get(Key, detail.get("key_id") or 0)
    if key is None:
        return None, url_for("keys.register")
    code = session.scalar(
        sa.select(LabelCode.code).where(
            LabelCode.item_type == "key", LabelCode.item_id == key.id, LabelCode.active
        )
    )
    return key, url_for("items.show", code=code) if code else url_for("keys.register")


def render(session: Session, event: AlertEvent) -> Text:
    """The alert's text in the current language, and its link (needs a request context)."""
    if event.kind in RENDERERS:
        return RENDERERS[event.kind](session, event)
    detail = event.detail or {}
    estate = session.get(Estate, event.estate_id) if event.estate_id else None
    zone = ZoneInfo(estate.timezone if estate else "UTC")
    place = estate.name if estate else ""
    kind = event.kind
    if kind in ("critical_finding", "major_violation", "refused_twice", "finding_dispatched"):
        finding, where, path = _finding(session, detail)
        note = (finding.note if finding else "")[:300]
        if kind == "critical_finding":
            title = _("Critical finding: %(where)s", where=where)
        elif kind == "major_violation":
            title = _("Major violation: %(where)s", where=where)
        elif kind == "refused_twice":
            title = _("Entry refused twice in a row at a vacant unit: %(where)s", where=where)
        else:
            department = i18n.term("department", detail.get("department"))
            title = _(
                "Finding dispatched to %(department)s: %(where)s",
                department=department,
                where=where,
            )
        return Text(title, _join(place, note), path)
    if kind == "finding_overdue":
        _f, where, path = _finding(session, detail)
        title = _("Finding past its due date: %(where)s", where=where)
        body = _("It was due %(due)s.", due=_when(detail.get("due_at"), zone))
        return Text(title, _join(place, body), path)
    if kind == "window_missed":
        missed, expected = int(detail.get("missed", 0)), int(detail.get("expected", 0))
        title = _(
            "%(round)s: %(missed)d of %(expected)d checkpoints missed",
            round=detail.get("round", ""),
            missed=missed,
            expected=expected,
        )
        body = ngettext(
            "The window %(start)s to %(end)s closed with %(num)d checkpoint not checked.",
            "The window %(start)s to %(end)s closed with %(num)d checkpoints not checked.",
            missed,
            start=_when(detail.get("start"), zone),
            end=_when(detail.get("end"), zone),
        )
        path = url_for("rounds.coverage_page", estate=event.estate_id, date=detail.get("date"))
        return Text(title, _join(place, body), path)
    if kind in ("key_overdue", "key_disputed", "key_chain_broken"):
        key, path = _key(session, detail)
        label = key.label if key is not None else ""
        if kind == "key_overdue":
            title = _("Key overdue: %(key)s", key=label)
            body = _(
                "Due back %(due)s, held by %(holder)s.",
                due=_when(detail.get("due_back"), zone),
                holder=detail.get("holder") or "-",
            )
        elif kind == "key_disputed":
            title = _("Key disputed: %(key)s", key=label)
            body = _("Its lends and returns contradict each other: settle it.")
            path = url_for("keys.disputes")
        else:
            title = _("Key records tampered with: %(key)s", key=label)
            body = _("A link of the key's record chain does not match: check the register.")
        return Text(title, _join(place, body), path)
    if kind == "op_quarantined":
        op = session.get(QuarantinedOp, detail.get("quarantine_id") or 0)
        sender = session.get(User, op.user_id) if op else None
        title = _("A record was quarantined")
        body = _(
            "%(type)s from %(user)s was not applied (%(error)s).",
            type=(op.type if op else None) or "-",
            user=sender.name if sender else "-",
            error=op.error if op else "-",
        )
        return Text(title, _join(place, body), url_for("quarantine.index"))
    if kind == "device_unsynced":
        device = session.get(Device, detail.get("device_id") or "")
        owner = session.get(User, device.user_id) if device else None
        title = ngettext(
            "%(device)s holds %(num)d record not yet synced",
            "%(device)s holds %(num)d records not yet synced",
            int(detail.get("pending", 0)),
            device=device.name if device else "-",
        )
        body = _(
            "Last synced %(when)s, by %(user)s.",
            when=_when(detail.get("since"), zone),
            user=owner.name if owner else "-",
        )
        return Text(title, _join(place, body), url_for("review.table_page", slug="devices"))
    # The renovation chain's kinds (and any later one): the name, the label and page it gave.
    label = str(detail.get("label") or "")
    path = str(detail.get("path") or "/")
    title = i18n.term("alert_kind", kind) + (f": {label}" if label else "")
    return Text(title, place, path if path.startswith("/") and not path.startswith("//") else "/")


def render_all(session: Session, events: list[AlertEvent]) -> list[Text]:
    """Many alerts' texts (the bell's page): the estates, findings and items they name are read
    first, a statement per model, and held while rendering — the session keeps only what is
    referenced, so rendering one by one read each row's again."""
    held: list = []

    def read(model, ids) -> list:
        found = list(session.scalars(sa.select(model).where(model.id.in_(ids)))) if ids else []
        held.extend(found)
        return found

    read(Estate, {e.estate_id for e in events if e.estate_id})
    findings = read(Finding, {str(f) for e in events if (f := (e.detail or {}).get("finding_id"))})
    items: dict[str, set[int]] = {}
    for finding in findings:
        if finding.item_type in ITEM_MODELS and finding.item_id is not None:
            items.setdefault(finding.item_type, set()).add(finding.item_id)
    for item_type, ids in items.items():
        model = ITEM_MODELS[item_type]
        found = read(model, ids)
        if hasattr(model, "building_id"):
            read(Building, {item.building_id for item in found if item.building_id})
    return [render(session, event) for event in events]


def _join(*lines: str) -> str:
    return "\n".join(line for line in lines if line)
