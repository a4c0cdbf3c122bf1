"""A check's record page says why a check was not scanned (or that no reason was given), and
lists the findings the check raised — those naming it — and the finding's page in review
links back to that check."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sync import derived
from sync.merge import Actor, push
from webapp.extensions import db
from webapp.models import LabelCode, User

NASTY = '<script>alert("x")</script>'


def _push(app, walked, ops):
    with app.app_context():
        answers = push(
            db.session, Actor(walked["patrol"], [walked["estate"]]), ops, datetime.now(UTC)
        )
        db.session.commit()
    assert [a["status"] for a in answers] == ["applied"] * len(ops), answers
    return ops


def _op(kind, at, **payload):
    return {
        "op_id": str(uuid.uuid4()),
        "type": kind,
        "occurred_at": at.isoformat(),
        "payload": {"id": str(uuid.uuid4()), "photos": []} | payload,
    }


def _vacant_code(app, walked) -> str:
    with app.app_context():
        return db.session.scalar(
            sa.select(LabelCode.code).where(
                LabelCode.item_type == "unit",
                LabelCode.item_id == walked["vacant"],
                LabelCode.active,
            )
        )


def test_the_page_says_why_the_check_was_not_scanned(client, auth, app, walked):
    """Does a check picked for a damaged label show that reason, and the relabel finding it
    raised (marked the server's, linked to its page)?"""
    code = _vacant_code(app, walked)
    at = datetime.now(UTC) - timedelta(hours=3)
    (op,) = _push(
        app,
        walked,
        [
            _op(
                "check.record",
                at,
                code=code,
                method="manual",
                manual_reason="label_damaged",
                result="ok",
                answers={},
            )
        ],
    )
    check_id = op["payload"]["id"]
    auth.login("supervisor")
    page = client.get(f"/records/checks/{check_id}").get_data(as_text=True)
    assert "標籤損壞" in page and "data-no-reason" not in page
    relabel = derived.derived_id(check_id, derived.RELABEL)
    assert f"/review/findings/{relabel}" in page
    assert derived.RELABEL_CATEGORY in page and "系統自動建立" in page


def test_a_pick_with_no_reason_is_flagged(client, auth, walked):
    """Is a check picked from a list by an app that sent no reason flagged "no reason given"
    on its record page (and a scanned one not)?"""
    auth.login("supervisor")
    picked = client.get(f"/records/checks/{walked['check_ids'][1]}").get_data(as_text=True)
    assert "data-no-reason" in picked and "未說明原因" in picked
    scanned = client.get(f"/records/checks/{walked['check_ids'][0]}").get_data(as_text=True)
    assert "data-no-reason" not in scanned


def test_the_page_lists_the_findings_that_name_the_check_and_no_other(client, auth, app, walked):
    """Does the page list the findings naming the check (the phone's, with its note escaped),
    and not one the same patroller reported on the same unit minutes later?"""
    code = _vacant_code(app, walked)
    at = datetime.now(UTC) - timedelta(hours=2)
    check = _op(
        "check.record", at, code=code, method="scan", result="issue", answers={"no_leaks": "no"}
    )
    check_id = check["payload"]["id"]
    raised = _op(
        "finding.create",
        at,
        code=code,
        severity="high",
        category="漏水",
        note=f"廚房滴水 {NASTY}",
        check_id=check_id,
    )
    later = _op(
        "finding.create",
        at + timedelta(minutes=5),
        code=code,
        severity="low",
        category="雜物堆放",
        note="走廊雜物",
    )
    _push(app, walked, [check, raised, later])
    auth.login("supervisor")
    page = client.get(f"/records/checks/{check_id}").get_data(as_text=True)
    assert f"/review/findings/{raised['payload']['id']}" in page
    assert f"/review/findings/{later['payload']['id']}" not in page
    assert NASTY not in page and "&lt;script&gt;" in page
    assert "系統自動建立" not in page


def test_a_findings_page_links_to_the_check_that_raised_it(client, auth, app, walked):
    """Does a finding's page in review say which check raised it (who, when) and link to that
    check's record, with the inspector's name escaped; and does a finding with no check say
    nothing of one?"""
    code = _vacant_code(app, walked)
    at = datetime.now(UTC) - timedelta(hours=1)
    with app.app_context():
        db.session.get(User, walked["patrol"]).display_name = f"陳 {NASTY}"
        db.session.commit()
    check, alone = _push(
        app,
        walked,
        [
            _op("check.record", at, code=code, method="scan", result="issue", answers={}),
            _op(
                "finding.create",
                at + timedelta(minutes=9),
                code=code,
                severity="low",
                category="其他",
                note="另報",
            ),
        ],
    )
    check_id = check["payload"]["id"]
    finding_id = derived.derived_id(check_id, derived.ISSUE)
    auth.login("supervisor")
    page = client.get(f"/review/findings/{finding_id}").get_data(as_text=True)
    raised_by = re.search(r'<dd class="raised-by">(.*?)</dd>', page, re.S).group(1)
    assert f'href="/records/checks/{check_id}"' in raised_by
    assert "系統自動建立" in raised_by and "data-no-reason" not in raised_by
    assert "陳 &lt;script&gt;" in raised_by and NASTY not in page
    assert re.search(r"於 \d{4}-\d\d-\d\d \d\d:\d\d 的檢查", raised_by)
    other = client.get(f"/review/findings/{alone['payload']['id']}").get_data(as_text=True)
    assert "/records/checks/" not in other
