"""The payloads of the renovation chain's ops (issue 20): rectification notices, their
re-inspections, completion acceptances and the signatures drawn on the phone."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from sync.schemas import SHA256, Strict, UUIDString, Words, _photos
from webapp import vocab


class Day(fields.Date):
    """A calendar day (YYYY-MM-DD) from 1900 to 2999."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not 1900 <= day.year <= 2999:
            raise ValidationError("Give a day from 1900 to 2999.")
        return day


class NoticeIssueSchema(Strict):
    """``notice.issue``: a rectification notice 《裝修違規整改通知單》 for a unit under
    renovation; the server gives it its number (per estate and year) when it arrives."""

    id = UUIDString(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    finding_id = UUIDString(load_default=None, allow_none=True)  # the patrol finding it is for
    rules = fields.List(
        fields.String(validate=validate.OneOf(list(vocab.RENOVATION_RULES))),
        required=True,
        validate=validate.Length(min=1, max=len(vocab.RENOVATION_RULES)),
    )
    note = Words(blank=True, load_default="", validate=validate.Length(max=2000))
    deadline = Day(required=True)
    photos = _photos()

    @validates("rules")
    def _once_each(self, value, **_kwargs):
        if len(set(value)) != len(value):
            raise ValidationError("Name each rule once.")


class NoticeDeliverSchema(Strict):
    """``notice.deliver``: a notice handed to the owner or the contractor, or posted on the
    door, with a photo of it."""

    id = UUIDString(required=True)
    notice_id = UUIDString(required=True)
    method = fields.String(required=True, validate=validate.OneOf(list(vocab.DELIVERY_METHODS)))
    recipient = Words(blank=True, load_default="", validate=validate.Length(max=120))
    note = Words(blank=True, load_default="", validate=validate.Length(max=500))
    photos = _photos()


class NoticeSignSchema(Strict):
    """``notice.sign``: the owner's (or contractor's) signature drawn on the phone, sent as
    the sha256 of its PNG uploaded as a photo — never the image itself."""

    id = UUIDString(required=True)
    notice_id = UUIDString(required=True)
    signature = fields.String(required=True, validate=SHA256)
    signer_name = Words(blank=True, load_default="", validate=validate.Length(max=120))
    role = fields.String(load_default="owner", validate=validate.OneOf(["owner", "contractor"]))


class ReinspectResultSchema(Strict):
    """``reinspect.result``: a notice re-inspected on the phone — put right, or not (which
    makes a stop-work notice 《停工通知》)."""

    id = UUIDString(required=True)
    notice_id = UUIDString(required=True)
    result = fields.String(required=True, validate=validate.OneOf(list(vocab.REINSPECTION_RESULTS)))
    note = Words(blank=True, load_default="", validate=validate.Length(max=2000))
    photos = _photos()


class AcceptanceRecordSchema(Strict):
    """``acceptance.record``: a completion acceptance 《裝修審批及竣工驗收表》 at a unit — the
    checklist of a named version answered yes / no / n/a, engineering's name, the photos, and
    the result; a failed one names the deadline of the notice it issues."""

    id = UUIDString(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    checklist_version = fields.Integer(
        required=True, validate=validate.OneOf(list(vocab.ACCEPTANCE_CHECKLISTS))
    )
    answers = fields.Dict(
        keys=fields.String(validate=validate.Length(max=32)),
        values=fields.String(validate=validate.OneOf(vocab.ACCEPTANCE_ANSWERS)),
        required=True,
    )
    result = fields.String(required=True, validate=validate.OneOf(list(vocab.ACCEPTANCE_RESULTS)))
    engineer = Words(required=True, validate=validate.Length(max=120))
    note = Words(blank=True, load_default="", validate=validate.Length(max=2000))
    deadline = Day(load_default=None, allow_none=True)  # of the notice a failure issues
    photos = _photos()

    @validates_schema
    def _answers_match(self, data, **_kwargs):
        items = vocab.ACCEPTANCE_CHECKLISTS.get(data.get("checklist_version"))
        answers = data.get("answers")
        if items is None or answers is None:
            return
        keys = {i["key"] for i in items}
        if set(answers) != keys:
            raise ValidationError("Answer every item of this checklist version.", "answers")
        failed = any(v == "no" for v in answers.values())
        if data.get("result") == "passed" and failed:
            raise ValidationError("An acceptance with a failed item has not passed.", "result")
        if data.get("result") == "failed" and not failed:
            raise ValidationError("A failed acceptance names the items that failed.", "answers")
        if data.get("result") == "failed" and data.get("deadline") is None:
            raise ValidationError("Give the deadline of the notice it issues.", "deadline")


class SignatureCaptureSchema(Strict):
    """``signature.capture``: a signature drawn on the phone for an acceptance (owner,
    contractor, manager) or a notice (owner, contractor) — the sha256 of its PNG uploaded
    with ``PUT /api/blobs``, never the image itself."""

    id = UUIDString(required=True)
    subject = fields.String(required=True, validate=validate.OneOf(["acceptance", "notice"]))
    subject_id = UUIDString(required=True)
    role = fields.String(required=True, validate=validate.OneOf(list(vocab.SIGNER_ROLES)))
    signature = fields.String(required=True, validate=SHA256)
    signer_name = Words(blank=True, load_default="", validate=validate.Length(max=120))

    @validates_schema
    def _role_of_subject(self, data, **_kwargs):
        if data.get("subject") == "notice" and data.get("role") == "manager":
            raise ValidationError("A notice is signed by the owner or the contractor.", "role")
