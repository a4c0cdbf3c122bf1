"""The phone's text inputs hold no more than the server takes: each input's ``maxlength`` and
the length its form checks before it queues (``tooLong(x, n)``, static/js/phone/text.js) are
the op's ``Length`` in sync's schemas — a phone that let more through would queue an op the
server rejects (kept in quarantine, the person gone); one that cut it lost what was typed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from marshmallow import validate

from sync import renovation_schemas as renovation
from sync.schemas import PAYLOAD_SCHEMAS

SCREENS = Path(__file__).parents[2] / "static" / "js" / "screens"

SCHEMAS = {
    **PAYLOAD_SCHEMAS,
    "notice.issue": renovation.NoticeIssueSchema,
    "notice.deliver": renovation.NoticeDeliverSchema,
    "notice.sign": renovation.NoticeSignSchema,
    "reinspect.result": renovation.ReinspectResultSchema,
    "acceptance.record": renovation.AcceptanceRecordSchema,
    "signature.capture": renovation.SignatureCaptureSchema,
}

# (screen file, the input's id, op type, payload field)
INPUTS = [
    ("keys/app.js", "keys-borrower", "key.lend", "borrower_name"),
    ("keys/app.js", "keys-purpose", "key.lend", "purpose"),
    ("keys/app.js", "keys-owner", "key.issue", "owner_name"),
    ("item/renovation.js", "notice-note", "notice.issue", "note"),
    ("item/renovation.js", "notice-recipient", "notice.deliver", "recipient"),
    ("item/renovation.js", "notice-signer", "notice.sign", "signer_name"),
    ("item/followup.js", "reinspect-note", "reinspect.result", "note"),
    ("item/followup.js", "acceptance-engineer", "acceptance.record", "engineer"),
    ("item/followup.js", "acceptance-note", "acceptance.record", "note"),
    ("item/followup.js", "sign-${role}", "signature.capture", "signer_name"),
]


def _server_max(op: str, field: str) -> int:
    (limit,) = [
        v.max
        for v in SCHEMAS[op]._declared_fields[field].validators
        if isinstance(v, validate.Length) and v.max
    ]
    return limit


@pytest.mark.parametrize(("screen", "input_id", "op", "field"), INPUTS)
def test_a_phone_input_holds_what_the_server_takes(screen, input_id, op, field):
    """Is the input's maxlength the op field's Length, and is that the length the form checks
    (``tooLong``) before it queues — and does it never ``.slice`` the text to fit?"""
    source = (SCREENS / screen).read_text(encoding="utf-8")
    limit = _server_max(op, field)
    # The input's own attributes: from its h("input", {...}) to the call's end.
    at = re.search(r"id: [\"`]" + re.escape(input_id) + r"[\"`]", source)
    assert at, input_id
    attrs = source[source.rindex('h("', 0, at.start()) : source.index(")", at.end())]
    assert f'maxlength: "{limit}"' in attrs, (input_id, limit, attrs)
    assert re.search(rf"(tooLong\([^)]*, {limit}\)|\[[^\]]*, {limit}, )", source), (op, field)
    # What was cut before: the typed value, trimmed, then sliced to the server's length.
    cut = re.search(
        r"(\.trim\(\)|\b(?:name|owner|note|purpose|engineer|recipient))\.slice\(0,", source
    )
    assert cut is None, (screen, cut and cut.group(0))
