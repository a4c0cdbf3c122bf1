"""The wire format of /api/sync: marshmallow 4 schemas, ``unknown = RAISE`` everywhere."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
)

from webapp import values, vocab
from webapp.text import trim

MAX_OPS = 500
SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="Not a lowercase hex sha256.")
ID_LAST4 = validate.Regexp(
    r"^[0-9A-Z]{4}$", error="The last 4 characters of the ID number: 4 letters or digits."
)


class Strict(Schema):
    """A schema that refuses fields it does not know."""

    class Meta:
        unknown = RAISE


class AwareDateTime(fields.AwareDateTime):
    """An ISO-8601 timestamp that must carry its offset (a phone's local time is ambiguous)."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            values.bounded_utc(moment)
        except ValueError as exc:
            raise ValidationError("Give a time from 1900 to 2999.") from exc
        return moment


def _uuid_string(value: str) -> None:
    try:
        uuid.UUID(str(value))
    except ValueError as exc:
        raise ValidationError("Not a UUID.") from exc


class Words(fields.String):
    """Text as a person typed it, its invisible ends trimmed (``webapp.text.trim``, the forms'
    rule); text of nothing visible is refused, as missing, unless ``blank`` allows it."""

    default_error_messages = {"blank": "Write something visible: this is empty."}

    def __init__(self, *, blank: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.blank = blank

    def _deserialize(self, value, attr, data, **kwargs):
        text = trim(super()._deserialize(value, attr, data, **kwargs))
        if not text and not self.blank:
            raise self.make_error("blank")
        return text


class UUIDString(fields.String):
    """A UUID kept as its canonical lowercase string."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        _uuid_string(text)
        return str(uuid.UUID(text))


def id_chars(text: str) -> str:
    """The letters and digits of an ID number as written, full-width folded, upper case
    (spaces, brackets and hyphens dropped): ``a123456(7)`` → ``A1234567``."""
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(c for c in folded if c.isascii() and c.isalnum())


def last4(text: str) -> str:
    """The last 4 of an ID number's letters and digits: ``A123456(7)`` → ``4567``."""
    return id_chars(text)[-4:]


def scrub(raw: Any) -> Any:
    """An op as it may be kept: a ``key.issue``'s ``id_last4`` is read as ``last4`` reads it, so
    that a whole ID number sent by a faulty client is cut to its last 4 characters before the op
    is validated, hashed, stored or quarantined. The whole number is never kept anywhere."""
    if not isinstance(raw, dict) or raw.get("type") != "key.issue":
        return raw
    payload = raw.get("payload")
    value = payload.get("id_last4") if isinstance(payload, dict) else None
    if not isinstance(value, str) or last4(value) == value:
        return raw
    return {**raw, "payload": {**payload, "id_last4": last4(value)}}


# ---------------------------------------------------------------- requests


class PushRequestSchema(Strict):
    """The push envelope: ops are validated one by one, so one bad op cannot sink the rest."""

    device_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    pending = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    # Any JSON value per op: merge.parse rejects one that is not an object on its own
    # (quarantined, answered ``rejected``), so it cannot sink the good ops beside it.
    ops = fields.List(
        fields.Raw(allow_none=True),
        required=True,
        validate=validate.Length(min=1, max=MAX_OPS),
    )


class OpSchema(Strict):
    """One op's envelope."""

    op_id = UUIDString(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    occurred_at = AwareDateTime(required=True)
    payload = fields.Dict(required=True)


class GeoSchema(Strict):
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    accuracy_m = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0))


def _photos():
    return fields.List(
        fields.String(validate=SHA256), load_default=list, validate=validate.Length(max=20)
    )


class CheckRecordSchema(Strict):
    """``check.record``: a check of a unit, key or sign."""

    id = UUIDString(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    method = fields.String(required=True, validate=validate.OneOf(list(vocab.CHECK_METHODS)))
    # Why it was typed or picked rather than scanned; an older app sends none (applied, flagged).
    manual_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(list(vocab.MANUAL_REASONS))
    )
    result = fields.String(required=True, validate=validate.OneOf(list(vocab.CHECK_RESULTS)))
    answers = fields.Dict(load_default=dict)
    note = Words(blank=True, load_default=None, allow_none=True, validate=validate.Length(max=4000))
    photos = _photos()
    round_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    geo = fields.Nested(lambda: GeoSchema(), load_default=None, allow_none=True)

    @post_load
    def _reason_only_unscanned(self, data, **_kwargs):
        if data.get("manual_reason") and data["method"] == "scan":
            raise ValidationError(
                "A scanned check has no manual_reason.", field_name="manual_reason"
            )
        return data


class FindingCreateSchema(Strict):
    """``finding.create``: a reported item, on a coded item or at a place of an estate."""

    id = UUIDString(required=True)
    code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    estate_id = fields.Integer(load_default=None, allow_none=True, strict=True)
    location = Words(
        blank=True, load_default=None, allow_none=True, validate=validate.Length(max=200)
    )
    severity = fields.String(required=True, validate=validate.OneOf(list(vocab.SEVERITIES)))
    category = Words(required=True, validate=validate.Length(max=64))
    note = Words(blank=True, required=True, validate=validate.Length(max=4000))
    photos = _photos()
    # The check.record whose checklist raised it (the same action on the phone).
    check_id = UUIDString(load_default=None, allow_none=True)

    @post_load
    def _where(self, data, **_kwargs):
        if not data.get("code") and not (data.get("estate_id") and data.get("location")):
            raise ValidationError(
                "Give either code, or estate_id with location.", field_name="code"
            )
        return data


class KeyLendSchema(Strict):
    """``key.lend``: a key handed to a borrower."""

    id = UUIDString(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    borrower_name = Words(required=True, validate=validate.Length(max=120))
    borrower_type = fields.String(
        required=True, validate=validate.OneOf(list(vocab.BORROWER_TYPES))
    )
    purpose = Words(blank=True, required=True, validate=validate.Length(max=200))
    due_back = AwareDateTime(load_default=None, allow_none=True)
    id_checked = fields.Boolean(load_default=None, allow_none=True)


class KeyIssueSchema(Strict):
    """``key.issue``: an owner key handed to its owner at move-in (status ``issued``)."""

    id = UUIDString(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    owner_name = Words(required=True, validate=validate.Length(max=120))
    signature = fields.String(load_default=None, allow_none=True, validate=SHA256)
    # The owner's identity document as checked: its type and the last 4 characters of its
    # number, never more (``scrub`` cuts a longer one before anything is kept). Both or neither;
    # an older phone sends neither.
    id_type = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(list(vocab.ID_DOCUMENT_TYPES))
    )
    id_last4 = fields.String(load_default=None, allow_none=True, validate=ID_LAST4)

    @post_load
    def _both_or_neither(self, data, **_kwargs):
        if bool(data.get("id_type")) != bool(data.get("id_last4")):
            raise ValidationError(
                "Give id_type and id_last4 together, or neither.", field_name="id_last4"
            )
        return data


class KeyApproveSchema(Strict):
    """``key.approve``: engineering approves an equipment-room key's next lend."""

    id = UUIDString(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    borrower_name = Words(
        blank=True, load_default=None, allow_none=True, validate=validate.Length(max=120)
    )
    note = Words(blank=True, load_default="", validate=validate.Length(max=200))


class KeyReturnSchema(Strict):
    """``key.return``: a key back in the cabinet."""

    id = UUIDString(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))


PAYLOAD_SCHEMAS: dict[str, type[Schema]] = {
    "check.record": CheckRecordSchema,
    "finding.create": FindingCreateSchema,
    "key.lend": KeyLendSchema,
    "key.return": KeyReturnSchema,
    "key.issue": KeyIssueSchema,
    "key.approve": KeyApproveSchema,
}


@dataclass
class Op:
    """One op, validated: its envelope, its payload and the hash that makes it idempotent."""

    op_id: str
    type: str
    occurred_at: datetime
    payload: dict[str, Any]
    raw_payload: dict[str, Any]
    content_hash: str
    flags: list[str] = field(default_factory=list)


class PullQuerySchema(Strict):
    """The pull query string."""

    cursor = fields.String(load_default=None, validate=validate.Length(max=2000))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=1000))


# ---------------------------------------------------------------- responses (for OpenAPI)


class OpResultSchema(Schema):
    op_id = fields.String(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf(["applied", "duplicate", "conflict", "rejected"])
    )
    error = fields.String()
    message = fields.String()
    data = fields.Dict()


class PushResponseSchema(Schema):
    results = fields.List(fields.Nested(OpResultSchema), required=True)
    server_time = fields.DateTime(required=True)


class ChangeSchema(Schema):
    type = fields.String(
        required=True,
        metadata={
            "description": "estate, building, unit, key, sign, round, finding, or check "
            "(checks of the last 30 days only; older ones are not sent, not even as deleted)"
        },
    )
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    deleted = fields.Boolean(required=True)
    data = fields.Dict(allow_none=True)


class PullResponseSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema), required=True)
    cursor = fields.String(required=True)
    has_more = fields.Boolean(required=True)
    server_time = fields.DateTime(required=True)


class DeviceAuthRequestSchema(Strict):
    """``POST /api/auth/device``: credentials (or none, from a logged-in page) and a name."""

    username = fields.String(validate=validate.Length(min=1, max=64))
    password = fields.String(validate=validate.Length(min=1, max=1024))
    device_name = Words(required=True, validate=validate.Length(max=120))

    @validates("password")
    def _not_blank(self, value, data_key):
        if not value.strip():
            raise ValidationError("Required.")


class UserSchema(Schema):
    username = fields.String(required=True)
    role = fields.String(required=True)


class EstateRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class DeviceAuthResponseSchema(Schema):
    device_id = fields.String(required=True)
    token = fields.String(required=True)
    user = fields.Nested(UserSchema, required=True)
    estates = fields.List(fields.Nested(EstateRefSchema), required=True)


class ErrorSchema(Schema):
    error = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields")
