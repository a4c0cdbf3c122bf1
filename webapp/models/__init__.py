"""Typed SQLAlchemy 2 models, one module per area."""

from webapp.models.accounts import (
    ROLES,
    Device,
    User,
    UserSession,
    burn_password_check,
    hash_token,
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
    "user_estate",
    "utcnow",
]
