"""Typed SQLAlchemy 2 models, one module per area.

Every model module is imported here, so ``db.metadata`` holds the whole schema (every table
and index) as soon as ``webapp.models`` is, whichever area is loaded first.
"""

# The other areas' tables, imported for the schema; their names are read from their modules.
from webapp.models import (
    alerts,
    desk,
    digests,
    jobs,
    key_requests,
    keys,
    push,
    renovation,
    review,
    rounds,
    sync,
)
from webapp.models.accounts import (
    ROLES,
    Device,
    User,
    UserSession,
    burn_password_check,
    hash_token,
    shown_names,
    user_estate,
)
from webapp.models.audit import AppendOnlyError, AuditEvent
from webapp.models.registry import ITEM_MODELS, Building, Estate, Key, LabelCode, Sign, Unit
from webapp.models.types import UTCDateTime, utcnow

__all__ = [
    "ITEM_MODELS",
    "ROLES",
    "AppendOnlyError",
    "AuditEvent",
    "Building",
    "Device",
    "Estate",
    "Key",
    "LabelCode",
    "Sign",
    "UTCDateTime",
    "Unit",
    "User",
    "UserSession",
    "burn_password_check",
    "hash_token",
    "shown_names",
    "user_estate",
    "utcnow",
    "alerts",
    "desk",
    "digests",
    "jobs",
    "key_requests",
    "keys",
    "push",
    "renovation",
    "review",
    "rounds",
    "sync",
]
