"""How the registry's audit trail and import preview read on screen, and who may edit."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from webapp import vocab
from webapp.extensions import db
from webapp.i18n import Terms, term
from webapp.models import AuditEvent, Building, Unit, User

VIEWERS = ("supervisor", "admin", "engineering", "frontdesk")
EDITORS = ("supervisor", "admin")


def can_edit() -> bool:
    """Whether the current user may change the registry."""
    return current_user.role in EDITORS


def helpers() -> dict:
    """What registry templates call: may the user edit, a vocabulary's values, a change."""
    return {
        "registry_can_edit": can_edit,
        "vocab_values": lambda name: list(vocab.VOCABULARIES[name]),
        "change_text": change_text,
    }


def actor_name(user: User | None) -> str:
    """Who did it: the user's name, or "System"."""
    return user.name if user is not None else _("System")


ACTIONS = Terms("audit_action")
FIELD_NAMES = Terms("registry_field")
VALUE_VOCAB = {
    "status": "unit_status",
    "category": "sign_category",
    "key_class": "key_class",
    "kind": "owner_key_kind",
    "close_reason": "permit_close_reason",
    "deposit_kind": "deposit_kind",
}


def audit_action(action: str) -> str:
    """An audit action (``unit.update``) as the reader says it (Edited)."""
    return str(ACTIONS.get(action.rsplit(".", 1)[-1], action))


def _show(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if name in VALUE_VOCAB:
        return term(VALUE_VOCAB[name], value)
    if name == "building_id":
        building = db.session.get(Building, value)
        return building.name if building else str(value)
    if name == "unit_id":
        unit = db.session.get(Unit, value)
        return unit.label if unit else str(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def change_text(name: str, change: tuple) -> str:
    """'Field: before → after' for one change of an import preview."""
    return f"{FIELD_NAMES.get(name, name)}: {_show(name, change[0])} → {_show(name, change[1])}"


def audit_changes(event: AuditEvent) -> list[str]:
    """Each changed field of an audit event as 'Field: before → after'."""
    before, after = event.before or {}, event.after or {}
    out = []
    for name, value in after.items():
        label = FIELD_NAMES.get(name, name)
        if name in before:
            out.append(f"{label}: {_show(name, before[name])} → {_show(name, value)}")
        else:
            out.append(f"{label}: {_show(name, value)}")
    return out
