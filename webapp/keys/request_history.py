"""Engineering's approvals in a key's history (its ``/q/`` page): each request the desk made, the
answer (who, when, a refusal's reason), every approval given to the key (from the queue, a phone
or the desk page), the copies registered — and, on a copy, the key it was copied from."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.orm import Session, selectinload

from webapp.i18n import term
from webapp.items.history import HistoryEntry
from webapp.keys.display import purpose_name
from webapp.models import Key, LabelCode, shown_names
from webapp.models.key_requests import KeyCopy, KeyRequest
from webapp.models.keys import KeyApproval

# Who may open a request's page (webapp/keys/approvals.py READERS); others see the line alone.
READERS = ("engineering", "frontdesk", "supervisor", "admin")


def _page(request_id: int) -> str | None:
    if getattr(current_user, "role", None) not in READERS:
        return None
    return url_for("approvals.show", request_id=request_id)


def _short(code: str | None) -> str:
    return f"{code[:4]}-{code[4:]}" if code else ""


def _asked(r: KeyRequest) -> str:
    if r.kind == "loan":
        who = r.borrower_name or ""
        if r.borrower_type:
            who += f" ({term('borrower_type', r.borrower_type)})"
        hours = ngettext("%(num)d hour", "%(num)d hours", r.hours or 0)
        return " · ".join(x for x in (who, purpose_name(r.purpose), hours) if x)
    return " · ".join(
        x for x in (ngettext("%(num)d copy", "%(num)d copies", r.copies or 0), r.purpose) if x
    )


def request_events(session: Session, item_type: str, item) -> list[HistoryEntry]:
    """The key's requests to engineering, its approvals and its copies, as history lines."""
    if item_type != "key":
        return []
    requests = list(session.scalars(sa.select(KeyRequest).where(KeyRequest.key_id == item.id)))
    approvals = list(session.scalars(sa.select(KeyApproval).where(KeyApproval.key_id == item.id)))
    made = list(
        session.scalars(
            sa.select(KeyCopy).where(
                sa.or_(KeyCopy.source_key_id == item.id, KeyCopy.key_id == item.id)
            )
        )
    )
    if not (requests or approvals or made):
        return []
    sources = {c.request_id for c in made if c.key_id == item.id}
    origin = list(session.scalars(sa.select(KeyRequest).where(KeyRequest.id.in_(sources))))
    people = shown_names(
        session,
        [r.requested_by_id for r in requests + origin]
        + [r.decided_by_id for r in requests + origin]
        + [a.user_id for a in approvals]
        + [c.user_id for c in made],
    )
    entries = []
    answered_by_queue = {r.approval_id for r in requests if r.approval_id}
    for r in requests:
        kind = term("key_request_kind", r.kind)
        url = _page(r.id)
        asked_by = people.get(r.requested_by_id, "")
        entries.append(
            HistoryEntry(
                r.created_at,
                "key-request",
                _("%(kind)s to engineering", kind=kind),
                " · ".join(x for x in (_asked(r), asked_by) if x),
                url,
            )
        )
        if r.decided_at is None or r.status == "pending":
            continue
        who = people.get(r.decided_by_id, "")
        if r.status == "approved":
            title = _("%(kind)s approved by %(name)s", kind=kind, name=who)
            detail = _("engineering")
        elif r.status == "refused":
            title = _("%(kind)s refused by %(name)s", kind=kind, name=who)
            detail = _("Reason: %(reason)s", reason=r.reason)
        else:
            title = _("%(kind)s withdrawn", kind=kind)
            detail = who
        entries.append(HistoryEntry(r.decided_at, "key-request", title, detail, url))
    for a in approvals:
        if a.id in answered_by_queue:
            continue  # the request's answer above says it
        detail = " · ".join(x for x in (a.borrower_name or "", a.note) if x)
        entries.append(
            HistoryEntry(
                a.occurred_at,
                "key-request",
                _("Next lend approved by %(name)s", name=people.get(a.user_id, "")),
                detail,
            )
        )
    entries.extend(_copies(session, item, made, origin, people))
    return entries


def _copies(session, item, made, origin, people) -> list[HistoryEntry]:
    """The copies registered from this key, and (a copy) the key it was made from."""
    ids = {c.key_id for c in made} | {c.source_key_id for c in made}
    keys = {
        k.id: k
        for k in session.scalars(
            sa.select(Key)
            .where(Key.id.in_(ids))
            .options(selectinload(Key.unit), selectinload(Key.building))
        )
    }
    codes = dict(
        session.execute(
            sa.select(LabelCode.item_id, LabelCode.short_code).where(
                LabelCode.item_type == "key", LabelCode.item_id.in_(ids), LabelCode.active
            )
        ).all()
    )
    requests = {r.id: r for r in origin}
    entries = []
    for c in made:
        url = _page(c.request_id)
        if c.source_key_id == item.id:
            entries.append(
                HistoryEntry(
                    c.created_at,
                    "key-request",
                    _("Copy registered: %(code)s", code=_short(codes.get(c.key_id))),
                    people.get(c.user_id, ""),
                    url,
                )
            )
            continue
        source = keys.get(c.source_key_id)
        request = requests.get(c.request_id)
        approver = people.get(request.decided_by_id, "") if request else ""
        entries.append(
            HistoryEntry(
                c.created_at,
                "key-request",
                _(
                    "Registered as a copy of %(key)s (%(code)s)",
                    key=source.label if source else "",
                    code=_short(codes.get(c.source_key_id)),
                ),
                " · ".join(
                    x
                    for x in (
                        _("approved by %(name)s", name=approver) if approver else "",
                        people.get(c.user_id, ""),
                    )
                    if x
                ),
                url,
            )
        )
    return entries
