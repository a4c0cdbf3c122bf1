"""Owner keys at the front desk (issue 19 item 4): an owner key handed to its owner at move-in,
after the owner's identity document is checked, signed for on the desk's screen.

The form names its keys the way every desk form does (a basket of scanned label URLs, long or
short codes: ``webapp.keys.basket``), checks them under their row locks, keeps the drawn
signature as a PNG blob (``webapp.signature``) and records one ``key.issue`` per key through
the phones' merge (``pushing.push_ops``), so the hash chain, the loan record and the key's
history hold it like a phone's issue. Only the document's type and the last 4 characters of its
number are ever kept: a longer number is refused, and not even echoed back into the form.
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_wtf.file import FileField
from sqlalchemy.orm import selectinload
from wtforms import StringField
from wtforms.validators import ValidationError

from sync.photos import shown_links
from sync.schemas import id_chars
from webapp import values, vocab
from webapp.extensions import db
from webapp.keys.basket import held_since, not_lendable
from webapp.keys.forms import _DeskForm
from webapp.models import Estate, Key, Unit, shown_names
from webapp.models.sync import KeyEvent, PhotoLink
from webapp.scoping import names_nothing, visible_estate_ids

RECORD_TYPE = "key_event"  # the signature's photo link names the issue event (as a phone's)
# What may stand between the characters of an ID number as written: A123456(7), 1234-5.
SEPARATORS = frozenset(" -()（）")


def read_last4(text: str) -> tuple[str | None, str | None]:
    """The last 4 characters of an ID number as the desk typed them, upper case (full-width
    folded, spaces, hyphens and brackets dropped); or why they are refused."""
    chars = id_chars(text)
    written = [c for c in unicodedata.normalize("NFKC", text) if c not in SEPARATORS]
    if len(chars) != len(written):
        return None, _("Only letters and digits: the last 4 characters of the ID number.")
    if len(chars) > 4:
        return None, _(
            "Only the last 4 characters: the whole ID number is never kept. Nothing was stored."
        )
    if len(chars) < 4:
        return None, _("Write the last 4 characters of the ID number (4 letters or digits).")
    return chars, None


class OwnerIssueForm(_DeskForm):
    """One owner's keys (one unit's), the identity document checked, and their signature."""

    owner_name = StringField()
    id_type = StringField()
    id_last4 = StringField()
    signature = FileField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.last4: str | None = None
        self.unit_error: str | None = None

    def key_problems(self, key: Key) -> list[str]:
        if key.key_class != "owner":
            return [
                _(
                    "%(key)s is not an owner key: only owner keys are issued to their owners.",
                    key=key.label,
                )
            ]
        if key.status == "issued":
            since = held_since(key)
            return [
                _(
                    "%(key)s is already issued to its owner %(name)s (%(since)s).",
                    key=key.label,
                    name=key.holder_name or "",
                    since=since.strftime("%Y-%m-%d") if since else "",
                )
            ]
        refused = not_lendable(key)  # out (return it first) or disputed
        return [refused] if refused else []

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        units = {k.unit_id for k in self.keys if k.key_class == "owner"}
        if len(units) > 1:
            self.unit_error = _("One owner, one unit: these keys open more than one unit.")
            self.codes.errors = [*self.codes.errors, self.unit_error]
            return False
        return valid

    def validate_owner_name(self, field):
        if not field.data:
            raise ValidationError(_("Name the owner."))
        if len(field.data) > 120 or not values.storable(field.data):
            raise ValidationError(
                _("Write the owner's name as on the ID (at most 120 characters).")
            )

    def validate_id_type(self, field):
        if field.data not in vocab.ID_DOCUMENT_TYPES:
            raise ValidationError(_("Choose the identity document checked."))

    def validate_id_last4(self, field):
        self.last4, refused = read_last4(field.data or "")
        if refused:
            # Whatever was typed is not sent back into the page: it may be a whole number.
            field.data = ""
            raise ValidationError(refused)
        field.data = self.last4

    def payloads(self, signature_sha256: str) -> list[dict]:
        """One ``key.issue`` payload per key, each with its own event id."""
        common = {
            "owner_name": self.owner_name.data,
            "id_type": self.id_type.data,
            "id_last4": self.last4,
            "signature": signature_sha256,
        }
        return [
            {"id": str(uuid.uuid4()), "code": self.basket.codes[k.id], **common} for k in self.keys
        ]


# ----------------------------------------------------------------------------- an issue


@dataclass
class Issue:
    """One owner's keys as handed over together: the issue named, the keys issued with it
    (the same drawn signature), the estate, who handed them over, the signature."""

    event: KeyEvent
    keys: list[Key]
    estate: Estate
    handed_by: str
    signature: str | None

    @property
    def unit(self) -> Unit | None:
        return self.keys[0].unit if self.keys else None


def _keys(ids) -> dict[int, Key]:
    return {
        k.id: k
        for k in db.session.scalars(
            sa.select(Key)
            .where(Key.id.in_(set(ids)), Key.estate_id.in_(visible_estate_ids()))
            .options(selectinload(Key.unit).selectinload(Unit.building))
        )
    }


def issue_of(key: Key, event_id: str) -> Issue | None:
    """The issue ``event_id`` of this key (of the user's estates), with the keys handed over
    with it: the issues signed with the same drawing, to the same owner."""
    if names_nothing(KeyEvent, event_id):
        return None
    event = db.session.scalar(
        sa.select(KeyEvent).where(
            KeyEvent.id == event_id, KeyEvent.key_id == key.id, KeyEvent.action == "issue"
        )
    )
    if event is None:
        return None
    sha = dict(shown_links(db.session, RECORD_TYPE, [event.id])).get(event.id)
    together = [event]
    if sha:
        together = list(
            db.session.scalars(
                sa.select(KeyEvent)
                .where(
                    KeyEvent.estate_id == event.estate_id,
                    KeyEvent.action == "issue",
                    KeyEvent.borrower_name == event.borrower_name,
                    KeyEvent.id.in_(
                        sa.select(PhotoLink.record_id).where(
                            PhotoLink.sha256 == sha, PhotoLink.record_type == RECORD_TYPE
                        )
                    ),
                )
                .order_by(KeyEvent.key_id)
            )
        )
    keys = _keys(e.key_id for e in together)
    ordered = sorted(keys.values(), key=lambda k: (k.id != key.id, k.label))
    return Issue(
        event=event,
        keys=ordered,
        estate=db.session.get(Estate, event.estate_id),
        handed_by=shown_names(db.session, [event.user_id]).get(event.user_id, ""),
        signature=sha,
    )


def recent(limit: int = 12) -> list[tuple[KeyEvent, Key]]:
    """The latest owner-key issues of the user's estates, newest first, each with its key."""
    events = list(
        db.session.scalars(
            sa.select(KeyEvent)
            .where(
                KeyEvent.estate_id.in_(visible_estate_ids()),
                KeyEvent.action == "issue",
            )
            .order_by(KeyEvent.occurred_at.desc(), KeyEvent.id.desc())
            .limit(limit)
        )
    )
    keys = _keys(e.key_id for e in events)
    return [(e, keys[e.key_id]) for e in events if e.key_id in keys]
